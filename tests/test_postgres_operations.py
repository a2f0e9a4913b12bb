"""Operations on PostgreSQL: several workers starting at once, and a database that cuts connections."""

import asyncio

from adapters.memory import Chat
from storage.db import Database


async def test_several_workers_migrate_a_fresh_database_at_once(postgres_url: str) -> None:
    workers = [Database(postgres_url) for _ in range(4)]
    try:
        await asyncio.gather(*(db.migrate() for db in workers))
    finally:
        for db in workers:
            await db.dispose()
    chat = await Chat.start(postgres_url)
    try:
        assert "Velkommen" in (await chat.say("kari", "/samskap bli-med Nordby"))[0].text
    finally:
        await chat.close()
