"""The Discord stash on SQLite and PostgreSQL: stored buttons and half-filled forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.repositories.discord import Stash

NOW = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)


async def test_stash_keeps_buttons_and_forms_and_forgets_old_forms(any_database_url: str) -> None:
    db = Database(any_database_url)
    await db.migrate()
    try:
        async with db.session() as s:
            await Stash(s).put("b1", "button", {"action_id": "ideas.adopt", "value": "12"}, NOW)
            await Stash(s).put("b1", "button", {"action_id": "ideas.adopt", "value": "12"}, NOW)  # idempotent
            await Stash(s).put("f-old", "form", {"values": {}}, NOW - timedelta(days=3), user_id="42")
            await Stash(s).put("f-new", "form", {"values": {"did": "x"}}, NOW, user_id="42")
        async with db.session() as s:
            button = await Stash(s).get("b1", "button")
            assert button is not None and button.data["value"] == "12"
            assert await Stash(s).get("b1", "form") is None  # a key is only found as what it is
            assert {r.key for r in await Stash(s).forms_of("42")} == {"f-old", "f-new"}
            await Stash(s).remove_forms_older_than(NOW - timedelta(days=2))
        async with db.session() as s:
            assert [r.key for r in await Stash(s).forms_of("42")] == ["f-new"]
            await Stash(s).remove_forms_of("42")
        async with db.session() as s:
            assert await Stash(s).forms_of("42") == []
            assert await Stash(s).get("b1", "button") is not None
    finally:
        await db.dispose()
