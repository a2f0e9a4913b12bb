"""Teams settings from the environment, in the Agents SDK's names or Bot Framework's.

    CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID      or MicrosoftAppId
    CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET  or MicrosoftAppPassword (or *_FILE)
    CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CERTPFXFILE   a certificate instead of a secret
    CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID      or MicrosoftAppTenantId
    CONNECTIONS__SERVICE_CONNECTION__SETTINGS__AUTHTYPE      or MicrosoftAppType
                                                             (SingleTenant, MultiTenant, UserAssignedMSI)

The `[teams]` section may set `host` (default 0.0.0.0), `tenants` (the tenant ids samskap answers;
a single-tenant bot answers only its own) and `keys_url`, the JSON Web Key Set that signs the Bot
Connector's tokens (default: the one the SDK chooses from the token's issuer).
Without an app id the bot runs unauthenticated, for local testing only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from microsoft_agents.hosting.core import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization.auth_types import AuthTypes

from bot.config import Config, Secret, secret

SDK_PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
# The tenant Bot Framework issues tokens from for multi-tenant bots.
MULTI_TENANT_AUTHORITY = "botframework.com"
APP_TYPES = {"singletenant": "SingleTenant", "multitenant": "MultiTenant", "userassignedmsi": "UserAssignedMSI",
             "clientsecret": "SingleTenant", "certificate": "SingleTenant",
             "usermanagedidentity": "UserAssignedMSI"}  # fmt: skip


@dataclass(frozen=True)
class TeamsOptions:
    app_id: str = ""
    app_secret: Secret = field(default_factory=lambda: Secret(""))
    cert_file: str = ""
    tenant_id: str = ""
    app_type: str = "SingleTenant"
    host: str = "0.0.0.0"
    port: int = 3000
    keys_url: str = ""
    # Tenants samskap answers (empty: any). A single-tenant bot answers its own tenant only.
    tenants: frozenset[str] = frozenset()

    @staticmethod
    def from_config(config: Config, env: dict[str, str] | None = None, *, port: int = 3000) -> TeamsOptions:
        env = dict(os.environ) if env is None else env
        section = config.section("teams")

        def setting(sdk: str, framework: str) -> str:
            return (env.get(SDK_PREFIX + sdk) or env.get(framework) or "").strip()

        app_secret = secret(SDK_PREFIX + "CLIENTSECRET", env)
        if not app_secret:
            app_secret = secret("MicrosoftAppPassword", env)
        app_type = setting("AUTHTYPE", "MicrosoftAppType") or "SingleTenant"
        tenants = env.get("SAMSKAP_TEAMS_TENANTS") or section.get("tenants") or []
        if isinstance(tenants, str):
            tenants = tenants.replace(",", " ").split()
        return TeamsOptions(
            app_id=setting("CLIENTID", "MicrosoftAppId"),
            app_secret=app_secret,
            cert_file=setting("CERTPFXFILE", "MicrosoftAppCertificateFile"),
            tenant_id=setting("TENANTID", "MicrosoftAppTenantId"),
            app_type=APP_TYPES.get(app_type.lower(), app_type),
            host=str(section.get("host", "0.0.0.0")),
            port=port,
            keys_url=str(env.get("SAMSKAP_TEAMS_KEYS_URL") or section.get("keys_url", "")),
            tenants=frozenset(str(t).strip() for t in tenants if str(t).strip()),
        )

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)

    def allowed_tenants(self) -> frozenset[str]:
        if self.tenants:
            return self.tenants
        single = self.authenticated and APP_TYPES.get(self.app_type.lower()) == "SingleTenant"
        return frozenset({self.tenant_id}) if single and self.tenant_id else frozenset()

    def auth_configuration(self) -> AgentAuthConfiguration:
        """The SDK's configuration for MSAL (outbound tokens) and for checking inbound tokens."""
        if self.app_type == "UserAssignedMSI":
            auth_type = AuthTypes.user_managed_identity
        elif self.cert_file and not self.app_secret:
            auth_type = AuthTypes.certificate
        else:
            auth_type = AuthTypes.client_secret
        tenant = MULTI_TENANT_AUTHORITY if self.app_type == "MultiTenant" else self.tenant_id
        return AgentAuthConfiguration(
            auth_type=auth_type,
            client_id=self.app_id,
            tenant_id=tenant or None,
            client_secret=self.app_secret.get() or None,
            cert_pfx_file=self.cert_file or None,
            connection_name="SERVICE_CONNECTION",
        )


def config_problems(config: Config, env: dict[str, str]) -> list[str]:
    """Teams runs without an app id (unauthenticated, for local testing); with one it needs the rest."""
    prefix = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
    app_id = env.get(prefix + "CLIENTID") or env.get("MicrosoftAppId")
    if not app_id:
        return []
    app_type = (env.get(prefix + "AUTHTYPE") or env.get("MicrosoftAppType") or "SingleTenant").lower()
    problems = []
    has_secret = secret(prefix + "CLIENTSECRET", env) or secret("MicrosoftAppPassword", env)
    has_cert = env.get(prefix + "CERTPFXFILE") or env.get("MicrosoftAppCertificateFile")
    if app_type not in ("userassignedmsi", "usermanagedidentity") and not has_secret and not has_cert:
        problems.append("Teams needs the app's secret (MicrosoftAppPassword) or a certificate with MicrosoftAppId.")
    if app_type in ("singletenant", "clientsecret", "certificate") and not (
        env.get(prefix + "TENANTID") or env.get("MicrosoftAppTenantId")
    ):
        problems.append("A single-tenant Teams bot needs its tenant id (MicrosoftAppTenantId).")
    return problems
