"""A samskap bot on the real discord.py client, connected to the fake Discord, and helpers to drive it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import discord
from fake_discord import CHANNEL_ID, FakeDiscord

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.options import DiscordOptions
from adapters.discord.runner import attach
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config, Secret
from bot.core import Bot


class Harness:
    """Drives the bot as Discord users would: slash commands, clicks, modals and messages."""

    def __init__(self, fake: FakeDiscord, database_url: str, clock: FakeClock, **option_kw: Any) -> None:
        self.fake = fake
        self.database_url = database_url
        self.clock = clock
        self.option_kw = option_kw
        self.bot: Bot
        self.adapter: DiscordAdapter
        self._task: asyncio.Task[None] | None = None
        self._done: dict[int, asyncio.Event] = {}

    async def start(self) -> Harness:
        options = DiscordOptions(
            token=Secret("fake-token"), api_url=self.fake.api_url, gateway_url=self.fake.gateway_url,
            **{"defer_after": 2.0, "max_ratelimit_timeout": 5.0, "guild_ready_timeout": 0.05, **self.option_kw},
        )  # fmt: skip
        self.bot = await build_bot(Config(database_url=self.database_url), clock=self.clock)
        self.adapter = attach(self.bot, options)
        original = self.adapter.inbound.handle_interaction

        async def tracked(interaction: discord.Interaction) -> None:
            try:
                await original(interaction)
            finally:
                self._done.setdefault(interaction.id, asyncio.Event()).set()

        self.adapter.inbound.handle_interaction = tracked  # type: ignore[method-assign]
        self._task = asyncio.create_task(self.adapter.client.start("fake-token"))
        ready = asyncio.create_task(self.adapter.client.wait_until_ready())
        await asyncio.wait({ready, self._task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            raise RuntimeError(
                f"the client did not get ready: {self._task.exception() if self._task.done() else 'timeout'}"
            )
        return self

    async def close(self) -> None:
        await self.adapter.client.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)
        await self.bot.db.dispose()

    async def restart(self) -> Harness:
        await self.close()
        self.fake._identified.clear()
        return await self.start()

    async def interact(self, payload: dict[str, Any]) -> dict[str, Any]:
        done = self._done.setdefault(int(payload["id"]), asyncio.Event())
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        await asyncio.wait_for(done.wait(), 10)
        return payload

    async def slash(
        self, user: str, command: str, sub: str | None = None, text: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        """`user` runs `/command sub tekst:text`; returns the interaction's responses and follow-ups."""
        options: list[dict[str, Any]] = [{"type": 3, "name": "tekst", "value": text}] if text is not None else []
        if sub is not None:
            options = [{"type": 1, "name": sub, "options": options}]
        data = {"id": "1", "name": command, "type": 1, "options": options}
        payload = self.fake.interaction(2, data, user_id(user), user, **kw)
        await self.interact(payload)
        return self.answers(payload)

    async def click(
        self, user: str, custom_id: str, message: dict[str, Any] | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        message = message or {**self.fake._message(CHANNEL_ID, {}), "components": []}
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self.fake.interaction(3, data, user_id(user), user, message=message, **kw)
        await self.interact(payload)
        return self.answers(payload)

    async def submit(
        self, user: str, custom_id: str, values: dict[str, str], selects: dict[str, str] | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        """`user` submits the modal `custom_id` with text `values` and chosen `selects`."""
        components = [{"type": 18, "id": i, "component": {"type": 4, "custom_id": name, "value": value}}
                      for i, (name, value) in enumerate(values.items())]  # fmt: skip
        components += [{"type": 18, "component": {"type": 3, "custom_id": name, "values": [value]}}
                       for name, value in (selects or {}).items()]  # fmt: skip
        payload = self.fake.interaction(5, {"custom_id": custom_id, "components": components},
                                        user_id(user), user, **kw)  # fmt: skip
        await self.interact(payload)
        return self.answers(payload)

    def dms_to(self, name: str) -> list[dict[str, Any]]:
        """The direct messages the bot sent `name`, oldest first."""
        return self.fake.messages.get(self.fake.dm_channels.get(user_id(name), ""), [])

    def answers(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """Everything sent back on this interaction: its callback and its follow-ups, in order."""
        token = payload["token"]
        found = [c for c in self.fake.callbacks if c["token"] == token]
        found += [f["message"] | {"edit": f.get("edit")} for f in self.fake.followups if f["token"] == token]
        return found


def user_id(name: str) -> str:
    """A stable snowflake per simulated user name."""
    return str(500000000000000000 + sum(ord(c) * 31**i for i, c in enumerate(name)) % 10**12)


def text_of(answer: dict[str, Any]) -> str:
    """The visible text of a callback or message: content, embeds and button labels."""
    data = answer.get("data", answer) or {}
    parts = [data.get("content", "")]
    for embed in data.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    for row in data.get("components", []):
        parts += [c.get("label", "") for c in row.get("components", [])]
    return "\n".join(p for p in parts if p)


def buttons_of(answer: dict[str, Any]) -> dict[str, str]:
    data = answer.get("data", answer) or {}
    return {c["label"]: c["custom_id"] for row in data.get("components", []) for c in row.get("components", [])
            if c.get("type") == 2}  # fmt: skip
