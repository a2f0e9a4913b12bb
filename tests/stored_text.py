"""Every string a test's database holds, to check what was (not) stored."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from adapters.memory import Chat
from storage.models.base import Base


async def stored_strings(chat: Chat) -> list[str]:
    """Every text and JSON value in every table (JSON as written, non-ASCII unescaped)."""
    found: list[str] = []
    async with chat.bot.db.read() as s:
        for table in Base.metadata.sorted_tables:
            for row in await s.execute(select(table)):
                found += [_as_text(value) for value in row if isinstance(value, str | dict | list)]
    return found


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
