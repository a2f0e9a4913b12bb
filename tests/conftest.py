"""Shared fixtures: a chat with the bot on a throwaway database, SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from adapters.memory import Chat

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    async def probe() -> bool:
        import asyncpg

        try:
            conn = await asyncpg.connect(POSTGRES_URL, timeout=2)
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


_PG: bool | None = None


def postgres_or_skip() -> str:
    global _PG
    if _PG is None:
        _PG = _postgres_available()
    if not _PG:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}; these tests run in CI")
    return POSTGRES_URL


async def fresh_postgres_schema() -> str:
    """A new, empty schema for one test, so tests never see each other's rows."""
    import asyncpg

    base = postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(base)
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite"])
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'samskap.db'}"
    else:
        yield await fresh_postgres_schema()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """For storage tests that must hold on both SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'samskap.db'}"
    else:
        yield await fresh_postgres_schema()


@pytest.fixture
async def chat(database_url: str) -> AsyncIterator[Chat]:
    chat = await Chat.start(database_url)
    yield chat
    await chat.close()


@pytest.fixture
async def network_chat(chat: Chat) -> Chat:
    """A chat where kari (leader, Nordby), ola (Sørby) and per (Vestby) have joined."""
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("ola", "/samskap bli-med Sørby skole")
    await chat.say("per", "/samskap bli-med Vestby skole")
    return chat
