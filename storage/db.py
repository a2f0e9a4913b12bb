"""The database: engine, sessions and migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from storage.lookups import ONE_STATEMENT, ChannelLookups

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept the usual spellings and pick the async drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///") and not url.startswith("sqlite+aiosqlite"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


class Database:
    def __init__(self, url: str, *, pool_size: int = 20) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, object] = {}
        if self.is_postgres:
            # No pre-ping: it costs a round trip on every checkout. Connections are recycled instead,
            # and a connection that broke is discarded by the pool on its first error. Overflow only
            # as wide as the pool: in a burst, waiting a moment for a connection is cheaper than
            # opening and closing many new ones.
            kwargs = {"pool_size": pool_size, "max_overflow": pool_size, "pool_recycle": 1800}
        # hide_parameters: an error's message would otherwise carry the statement's values (what
        # members wrote) into the log.
        self.engine: AsyncEngine = create_async_engine(self.url, hide_parameters=True, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # A session class of its own, so that the change listeners below see only this database.
        session_class = type("SamskapSession", (Session,), {})
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=session_class)
        # Reads that need no transaction skip BEGIN/COMMIT: two round trips fewer on every event.
        self._read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._reads = async_sessionmaker(self._read_engine, expire_on_commit=False, sync_session_class=session_class)
        self.lookups = ChannelLookups(self, session_class)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends normally, rolled back otherwise."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit: each statement sees committed data; nothing may be written."""
        async with self._reads() as session:
            yield session

    @asynccontextmanager
    async def one_statement(self) -> AsyncIterator[AsyncSession]:
        """A write of exactly one statement, which the database commits on its own: no BEGIN and
        COMMIT round trips. For more than one statement, use `session()`."""
        async with self._reads() as session:
            session.info[ONE_STATEMENT] = True
            yield session
            await session.commit()

    async def migrate(self) -> None:
        """Bring the schema up to date (every head: features add their own branches)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade_with_connection)

    async def dispose(self) -> None:
        await self.lookups.close()
        await self.engine.dispose()


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade_with_connection(connection: object) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def run_migrations(url: str) -> None:
    """Synchronous entry point for `samskap db upgrade`."""

    async def _run() -> None:
        db = Database(url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(_run())
