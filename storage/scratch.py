"""Throwaway PostgreSQL databases, for tests and benchmarks that must not see each other's rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


@asynccontextmanager
async def throwaway_postgres(base_url: str, prefix: str = "samskap_t") -> AsyncIterator[str]:
    """Create an empty database next to `base_url`'s, yield its URL, and drop it afterwards."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(base_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        conn = await asyncpg.connect(base_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
