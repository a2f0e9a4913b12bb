"""Discord settings: the `[discord]` section of the configuration, overridden by the environment.

    [discord]
    message_content = true       # the privileged Message Content intent (link capture)
    members = true               # the privileged Server Members intent (welcome newcomers)
    defer_after = 2.0            # seconds before an interaction is deferred (Discord allows 3)
    max_ratelimit_timeout = 30   # longer 429 waits are left to the outbox instead

`SAMSKAP_DISCORD_MESSAGE_CONTENT`, `SAMSKAP_DISCORD_MEMBERS`, `SAMSKAP_DISCORD_API_URL` and
`SAMSKAP_DISCORD_GATEWAY_URL` override them; the two URLs point the bot at an HTTP rate-limit
proxy, or at a fake Discord in tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import discord
import yarl

from bot.config import Config, Secret, file_problems, secret, unreadable_secret_files
from bot.settings import SettingError, parse_bool


@dataclass(frozen=True)
class DiscordOptions:
    token: Secret
    message_content: bool = False
    # The privileged Server Members intent: welcome people who join a server with a network.
    members: bool = False
    defer_after: float = 2.0
    max_ratelimit_timeout: float = 30.0
    # How long discord.py waits for the servers' GUILD_CREATE events before it is ready.
    guild_ready_timeout: float = 2.0
    api_url: str = ""
    gateway_url: str = ""

    @staticmethod
    def from_config(config: Config, env: dict[str, str] | None = None, **overrides: Any) -> DiscordOptions:
        env = dict(os.environ) if env is None else env
        section = config.section("discord")
        message_content = _flag(env.get("SAMSKAP_DISCORD_MESSAGE_CONTENT", section.get("message_content", False)))
        members = _flag(env.get("SAMSKAP_DISCORD_MEMBERS", section.get("members", False)))
        values: dict[str, Any] = {
            "token": secret("DISCORD_BOT_TOKEN", env),
            "message_content": message_content,
            "members": members,
            "defer_after": float(section.get("defer_after", 2.0)),
            "max_ratelimit_timeout": float(section.get("max_ratelimit_timeout", 30.0)),
            "guild_ready_timeout": float(section.get("guild_ready_timeout", 2.0)),
            "api_url": env.get("SAMSKAP_DISCORD_API_URL", section.get("api_url", "")),
            "gateway_url": env.get("SAMSKAP_DISCORD_GATEWAY_URL", section.get("gateway_url", "")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return DiscordOptions(**values)

    def intents(self) -> discord.Intents:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = self.message_content
        intents.members = self.members
        return intents

    def apply_urls(self) -> None:
        """Point discord.py at another REST base and gateway (both are process-wide in discord.py)."""
        if self.api_url:
            discord.http.Route.BASE = self.api_url.rstrip("/")
        if self.gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)


def config_problems(config: Config, env: dict[str, str]) -> list[str]:
    """What `samskap config check` and start-up say about Discord's variables, one line each."""
    # A broken file or an unreadable secret file is named first; "Discord needs DISCORD_BOT_TOKEN" would only repeat it.
    if file_problems(config) or unreadable_secret_files(env):
        return []
    return [] if secret("DISCORD_BOT_TOKEN", env) else ["Discord needs DISCORD_BOT_TOKEN."]


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    try:
        return bool(parse_bool(str(value)))
    except SettingError:
        return False
