"""The SDK's connector factory, with samskap's token source instead of a connection manager.

The CloudAdapter makes a connector client and a user-token client for every turn. samskap posts
through its own `Connector`, and signs no one in to other services, so neither needs more than
the Bot Connector token (none when unauthenticated).
"""

from __future__ import annotations

from microsoft_agents.hosting.core import ClaimsIdentity, TurnContext
from microsoft_agents.hosting.core.authorization import AuthenticationConstants
from microsoft_agents.hosting.core.connector import ConnectorClientBase, UserTokenClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from adapters.teams.auth import TokenSource


class ConnectorFactory:
    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        token = "" if use_anonymous else await self.tokens.token()
        return TeamsConnectorClient(endpoint=service_url, token=token)

    async def create_user_token_client(
        self, context: TurnContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClientBase:
        return UserTokenClient(endpoint=AuthenticationConstants.AGENTS_SDK_OAUTH_URL, token="")
