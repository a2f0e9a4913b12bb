"""Shared fixtures: a chat with the bot on a throwaway database, SQLite or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from adapters.memory import Chat
from storage.scratch import throwaway_postgres

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _postgres_available() -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=2)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


_PG: dict[str, bool] = {}


async def postgres_or_skip() -> str:
    if "up" not in _PG:
        _PG["up"] = await _postgres_available()
    if not _PG["up"]:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}; these tests run in CI")
    return POSTGRES_URL


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty database for one test, so tests never see each other's rows."""
    async with throwaway_postgres(await postgres_or_skip()) as url:
        yield url


@pytest.fixture(params=["sqlite"])
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'samskap.db'}"
    else:
        async with fresh_postgres_database() as url:
            yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """For storage tests that must hold on both SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'samskap.db'}"
    else:
        async with fresh_postgres_database() as url:
            yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for what needs several workers (SQLite is single-process)."""
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def chat(database_url: str) -> AsyncIterator[Chat]:
    chat = await Chat.start(database_url)
    yield chat
    await chat.close()


async def join_the_network(chat: Chat) -> Chat:
    """kari (the first, so the leader, Nordby), ola (Sørby) and per (Vestby) join."""
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("ola", "/samskap bli-med Sørby skole")
    await chat.say("per", "/samskap bli-med Vestby skole")
    return chat


@pytest.fixture
async def network_chat(chat: Chat) -> Chat:
    """A chat where kari (leader, Nordby), ola (Sørby) and per (Vestby) have joined."""
    return await join_the_network(chat)


@pytest.fixture
async def any_network_chat(any_database_url: str) -> AsyncIterator[Chat]:
    """`network_chat` on SQLite and on PostgreSQL, for what must hold on both (deleting rows, a whole round)."""
    chat = await Chat.start(any_database_url)
    yield await join_the_network(chat)
    await chat.close()
