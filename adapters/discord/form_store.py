"""Buttons and forms kept in the database between one Discord interaction and the next.

A Discord custom id holds at most 100 characters: a button whose action and value do not fit is
posted with a short key instead (`render.py` decides), and its action and value wait here until it
is clicked. A form that takes several modals keeps what the member wrote so far here too, between
its steps; an open form is forgotten after two days, and a form is only ever given back to the
member it was opened for. Being in the database, both survive a restart and work on any worker.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from adapters.discord.render import STASH_PREFIX, Payload
from bot.clock import Clock
from bot.events import Conversation
from bot.messages import Form, FormField
from storage.db import Database
from storage.repositories.discord import Stash

FORM_LIFETIME = timedelta(days=2)


class FormStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def keep_buttons(self, payloads: list[Payload]) -> None:
        """Keep the action and value of each button posted with a short key."""
        entries = {key: pair for payload in payloads for key, pair in payload.stash.items()}
        if not entries:
            return
        async with self.db.session() as s:
            for custom_id, (action_id, value) in entries.items():
                key = custom_id[len(STASH_PREFIX) :]
                await Stash(s).put(key, "button", {"action_id": action_id, "value": value}, self.clock.now())

    async def button(self, custom_id: str) -> tuple[str, str] | None:
        """The action and value of a button posted with a short key, or None."""
        if not custom_id.startswith(STASH_PREFIX):
            return None
        async with self.db.session() as s:
            row = await Stash(s).get(custom_id[len(STASH_PREFIX) :], "button")
            return (row.data["action_id"], row.data["value"]) if row else None

    async def save_form(
        self, key: str, user_id: str, form: Form, conversation: Conversation, values: dict[str, str]
    ) -> None:
        """Keep an open form and what `user_id` wrote in it so far (forgetting forms left too long)."""
        now = self.clock.now()
        data = {"form": asdict(form), "conversation": conversation.to_dict(), "values": values}
        async with self.db.session() as s:
            await Stash(s).remove_forms_older_than(now - FORM_LIFETIME)
            await Stash(s).put(key, "form", data, now, user_id=user_id)

    async def load_form(self, key: str, user_id: str) -> tuple[Form, Conversation, dict[str, str]] | None:
        """The open form `key` with its conversation and values so far, if it is `user_id`'s."""
        async with self.db.session() as s:
            row = await Stash(s).get(key, "form")
            if row is None or row.user_id != user_id:
                return None
            data = row.data
        return _form_from_dict(data["form"]), Conversation.from_dict(data["conversation"]), dict(data["values"])

    async def remove_form(self, key: str) -> None:
        async with self.db.session() as s:
            await Stash(s).remove(key)


def _form_from_dict(data: dict[str, Any]) -> Form:
    fields = tuple(FormField(**{**f, "choices": tuple(tuple(c) for c in f.get("choices", ()))}) for f in data["fields"])
    return Form(**{**data, "fields": fields})
