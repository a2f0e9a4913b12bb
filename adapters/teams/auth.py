"""Who may post to `/api/messages`, and the tokens samskap posts back to Teams with.

Inbound: the Bot Connector signs every request with a JWT. The SDK's `JwtTokenValidator` checks
the signature (keys from Bot Framework's or the tenant's key set) and the audience (our app id);
here the issuer is checked too, and the key set can be named (`keys_url`), which the SDK itself
does not allow. Without an app id nothing is checked: local testing only.

Outbound: MSAL's client-credentials token for the Bot Connector, from the SDK's `MsalAuth`
(cached and renewed by MSAL), or no token at all when unauthenticated.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any, Protocol

from aiohttp import web
from jwt import PyJWK, PyJWKClient, get_unverified_header
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization import JwtTokenValidator

from adapters.teams.options import TeamsOptions

log = logging.getLogger(__name__)

BOT_CONNECTOR = "https://api.botframework.com"
BOT_CONNECTOR_SCOPE = f"{BOT_CONNECTOR}/.default"
CLAIMS_KEY = "claims_identity"  # where the SDK's CloudAdapter looks for the caller's identity


class TokenSource(Protocol):
    async def token(self) -> str: ...


class NoTokens:
    """Unauthenticated: the Bot Framework Emulator and the test suite accept requests without one."""

    async def token(self) -> str:
        return ""


class MsalTokens:
    def __init__(self, configuration: AgentAuthConfiguration) -> None:
        self._msal = MsalAuth(configuration)

    async def token(self) -> str:
        return await self._msal.get_access_token(BOT_CONNECTOR, [BOT_CONNECTOR_SCOPE])


def token_source(options: TeamsOptions) -> TokenSource:
    return MsalTokens(options.auth_configuration()) if options.authenticated else NoTokens()


class BotConnectorTokens(JwtTokenValidator):
    """The SDK's validator, with the issuer checked and, when given, our own key set URL."""

    def __init__(self, configuration: AgentAuthConfiguration, keys_url: str = "") -> None:
        super().__init__(configuration)
        self._keys = PyJWKClient(keys_url) if keys_url else None

    async def validate_token(self, token: str) -> ClaimsIdentity:
        identity = await super().validate_token(token)
        if identity.claims.get("iss") not in self.configuration.ISSUERS:
            raise ValueError("token from an unknown issuer")
        return identity

    async def _get_public_key_or_secret(self, token: str) -> PyJWK:
        if self._keys is None:
            return await super()._get_public_key_or_secret(token)
        keys, kid = self._keys, get_unverified_header(token).get("kid", "")
        return await asyncio.to_thread(keys.get_signing_key, kid)


def bot_connector_auth(options: TeamsOptions) -> Any:
    """aiohttp middleware: a request to `path` needs a valid Bot Connector token (when authenticated)."""
    validator = BotConnectorTokens(options.auth_configuration(), options.keys_url) if options.authenticated else None
    anonymous = ClaimsIdentity({}, False, authentication_type="Anonymous")

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path != MESSAGES_PATH:
            return await handler(request)
        if validator is None:
            _set_claims(request, anonymous)
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            _set_claims(request, await validator.validate_token(token.strip()))
        except Exception as exc:  # any malformed, unsigned, expired or foreign token
            log.warning("teams: refused a request with an invalid token (%s)", type(exc).__name__)
            return web.json_response({"error": "unauthorized"}, status=401)
        return await handler(request)

    return middleware


async def service_url_matches(request: web.Request) -> bool:
    """The token names the service URL it was issued for; samskap will post back there (with its
    own token), so an activity naming another one is refused."""
    identity = request.get(CLAIMS_KEY)
    claimed = identity.claims.get("serviceurl") if identity is not None and identity.is_authenticated else None
    if claimed is None:
        return True
    try:
        body = await request.json()
    except ValueError:
        return True  # the SDK answers malformed bodies itself
    given = body.get("serviceUrl") if isinstance(body, dict) else None
    return str(given or "").rstrip("/").lower() == str(claimed).rstrip("/").lower()


def _set_claims(request: web.Request, identity: ClaimsIdentity) -> None:
    # The SDK reads the identity under a plain string key, which aiohttp warns about.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        request[CLAIMS_KEY] = identity


MESSAGES_PATH = "/api/messages"
