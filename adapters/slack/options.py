"""How the Slack adapter is configured: the conventional environment variables, and `[slack]`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from bot.config import Config, Secret, file_problems, secret, unreadable_secret_files

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000

# What the bot needs, and nothing more: post and read where it is invited, DMs and group DMs
# for pairs, user names, and files (calendar invitations, personal data exports).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "channels:join",
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:write",
    "mpim:history",
    "mpim:write",
    "reactions:read",
    "users:read",
)
BOT_EVENTS = (
    "app_home_opened",
    "app_mention",
    "app_uninstalled",
    "member_joined_channel",
    "message.channels",
    "message.groups",
    "message.im",
    "reaction_added",
    "reaction_removed",
    "tokens_revoked",
)


@dataclass
class SlackOptions:
    bot_token: Secret = field(default_factory=lambda: Secret(""))
    signing_secret: Secret = field(default_factory=lambda: Secret(""))
    app_token: Secret = field(default_factory=lambda: Secret(""))
    client_id: str = ""
    client_secret: Secret = field(default_factory=lambda: Secret(""))
    # SAMSKAP_SECRET_KEY: Fernet keys that encrypt the bot tokens installs store (storage.secrets).
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    api_url: str = DEFAULT_API_URL
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    # Slack allows about one message a second per channel; bursts beyond that get 429s.
    pace_seconds: float = 1.0
    # A 429 asking to wait longer than this is not waited out in-line: the outbox retries later.
    max_rate_limit_wait: float = 30.0
    rate_limit_retries: int = 3
    server_error_retries: int = 2
    backoff_seconds: float = 0.5
    user_cache_seconds: float = 300.0
    install_path: str = "/slack/install"
    redirect_path: str = "/slack/oauth_redirect"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @staticmethod
    def load(
        options: dict[str, Any] | None = None,
        section: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> SlackOptions:
        """Environment first, then the `[slack]` section of the config file, then `options` from the CLI."""
        env = dict(os.environ) if env is None else env
        section = section or {}
        options = options or {}
        port_text = options.get("port") or env.get("PORT") or section.get("port") or DEFAULT_PORT
        try:
            port = int(port_text)
        except (TypeError, ValueError):
            raise ValueError(f"The port must be a whole number (it is {port_text!r}).") from None
        api_url = env.get("SLACK_API_URL") or section.get("api_url") or DEFAULT_API_URL
        return SlackOptions(
            bot_token=secret("SLACK_BOT_TOKEN", env),
            signing_secret=secret("SLACK_SIGNING_SECRET", env),
            app_token=secret("SLACK_APP_TOKEN", env),
            client_id=env.get("SLACK_CLIENT_ID") or str(section.get("client_id", "")),
            client_secret=secret("SLACK_CLIENT_SECRET", env),
            secret_key=secret("SAMSKAP_SECRET_KEY", env),
            api_url=api_url if api_url.endswith("/") else api_url + "/",
            host=str(options.get("host") or section.get("host") or "0.0.0.0"),
            port=port,
            pace_seconds=float(section.get("pace_seconds", 1.0)),
            max_rate_limit_wait=float(section.get("max_rate_limit_wait", 30.0)),
        )

    def problems(self) -> list[str]:
        found = []
        if not self.bot_token and not self.oauth:
            found.append("Slack needs SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for installs).")
        if not self.socket_mode and not self.signing_secret:
            found.append("Slack over HTTP needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode).")
        if self.oauth and not self.signing_secret:
            found.append("Installs into several workspaces need SLACK_SIGNING_SECRET as well.")
        return found


def config_problems(config: Config, env: dict[str, str]) -> list[str]:
    """What `samskap config check` and start-up say about Slack's variables, one line each."""
    # A broken file or an unreadable secret file is named first; "Slack needs SLACK_BOT_TOKEN" would only repeat it.
    if file_problems(config) or unreadable_secret_files(env):
        return []
    found = []
    client_id = env.get("SLACK_CLIENT_ID") or str(config.section("slack").get("client_id", ""))
    client_secret = secret("SLACK_CLIENT_SECRET", env)
    if client_id and not client_secret:
        found.append("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not; installs need both.")
    elif client_secret and not client_id:
        found.append("SLACK_CLIENT_SECRET is set but SLACK_CLIENT_ID is not; installs need both.")
    if not secret("SLACK_BOT_TOKEN", env) and not client_id:
        found.append("Slack needs SLACK_BOT_TOKEN (or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET for installs).")
    if not secret("SLACK_APP_TOKEN", env) and not secret("SLACK_SIGNING_SECRET", env):
        found.append("Slack over HTTP needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode).")
    return found
