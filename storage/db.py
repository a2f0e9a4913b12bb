"""The database: engine, sessions and migrations.

On SQLite, all writes of a process go through one connection, the writer (see `SqliteWriter`):
SQLite lets one connection write at a time, and many connections taking turns through its lock
wait, time out and fail with "database is locked" under load. Reads use the other connections
(WAL lets them read while the writer writes), on the event loop's thread while they are short
(see `storage.reads`). Statements a module built once skip most of SQLAlchemy (`storage.compiled`,
`storage.sessions`).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiosqlite
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event, make_url, text
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import Connection, CursorResult, Result
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    AsyncTransaction,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.sql import Executable
from sqlalchemy.util import await_only, greenlet_spawn, immutabledict
from sqlalchemy.util import queue as sqla_queue

from storage.compiled import AsyncpgRunner, CompiledStatements, DirectRunner, SqliteRunner, Written
from storage.lookups import CHANGED, GROUPED, ChannelLookups, refuse_watched_write
from storage.reads import LoopReads, read_on_loop, run_statement
from storage.sessions import DirectSession

log = logging.getLogger("samskap.storage")

MIGRATIONS = Path(__file__).parent / "migrations"
# How long a write waits for another process (such as a `samskap` command) holding SQLite's lock.
SQLITE_BUSY_TIMEOUT_MS = 5000
# At most this many units of work share one SQLite transaction: under a steady stream of writes
# the queue never empties, and each unit's caller waits for its group's commit.
MAX_GROUP = 64
# Connections kept out of PostgreSQL's pool for one-statement writes (`KeptConnections`).
KEPT_CONNECTIONS = 4
# Group commits between two checkpoints of SQLite's write-ahead log.
CHECKPOINT_EVERY = 200
# Any number: what every samskap process agrees to lock while it migrates (PostgreSQL).
MIGRATION_LOCK = 0x5A4D5C4B


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
            kwargs = {
                "pool_size": pool_size, "max_overflow": pool_size, "pool_recycle": 1800, "poolclass": PatientPool,
            }  # fmt: skip
        if self.is_sqlite:
            kwargs = {"module": _OneTripDbapi(aiosqlite, sqlite3)}
        # hide_parameters: an error's message would otherwise carry the statement's values (what
        # members wrote) into the log.
        self.engine: AsyncEngine = create_async_engine(self.url, hide_parameters=True, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        if self.is_postgres:
            event.listen(self.engine.sync_engine, "checkout", _discard_closed_connection)
        # A session class of its own, so that the change listeners below see only this database.
        session_class = type("SamskapSession", (Session,), {})
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=session_class)
        # An in-memory database lives in its one connection (the pool has just that one): no writer.
        in_memory = (make_url(self.url).database or ":memory:") == ":memory:"
        # Reads that need no transaction skip BEGIN/COMMIT: two round trips fewer on every event.
        self._read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        if self.is_sqlite and not in_memory:
            # On SQLite, connections of their own that are always in autocommit (switching a pooled
            # connection to it and back, and the ROLLBACK when it is given back, cost more than a
            # short read), and that read on the event loop's thread (see `_LoopReadCursor`).
            self._read_engine = _loop_read_engine(self.url)
        # Giving such a connection back runs nothing on it (no ROLLBACK), so a read session can be
        # closed in place: `async with` would close it in a task of its own, a pass of the event loop.
        self._reads_close_at_once = self._read_engine.sync_engine is not self.engine.sync_engine
        # On SQLite, reads of plain columns run on a connection of their own (see `storage.reads`).
        self._loop_reads: LoopReads | None = None
        if self.is_sqlite and not in_memory:
            path = make_url(self.url).database or ""
            self._loop_reads = LoopReads(CompiledStatements(self._read_engine.dialect), lambda: _read_connection(path))
        # One-statement writes and reads on PostgreSQL, run on asyncpg's connection (see `storage.compiled`).
        self._postgres_statements = CompiledStatements(self.engine.dialect) if self.is_postgres else None
        direct_reads: dict[str, object] = {"statements": self._postgres_statements}
        if self._loop_reads is not None:
            direct_reads = {"statements": self._loop_reads.statements, "direct": self._loop_reads}
        reads_class = type("SamskapReads", (DirectSession,), direct_reads)
        self._reads: async_sessionmaker[DirectSession] = async_sessionmaker(
            self._read_engine, class_=reads_class, expire_on_commit=False, sync_session_class=session_class
        )
        self.lookups = ChannelLookups(self, session_class)
        self._kept: KeptConnections | None = None
        if self._postgres_statements is not None:
            self._kept = KeptConnections(self._read_engine, self._postgres_statements, KEPT_CONNECTIONS)
        self.writer: SqliteWriter | None = None
        if self.is_sqlite and not in_memory:
            self.writer = SqliteWriter(self.url, session_class, self.lookups, self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A unit of work: committed when the block ends normally, rolled back otherwise."""
        if self.writer is not None:
            return self.writer.unit()
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit: each statement sees committed data; nothing may be written."""
        if not self._reads_close_at_once:
            async with self._reads() as session:
                yield session
            return
        session = self._reads()
        try:
            yield session
        finally:
            await session.close()  # in place: see `_reads_close_at_once`

    def one_statement(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A write of exactly one statement (`execute` or `scalar`, nothing else), which the
        database commits on its own: no BEGIN and COMMIT round trips, and no session. For more
        than one statement, or for networks, channels and members, use `session()`."""
        # Not a session but a statement on a connection (`OneStatement`), handed out as one so
        # that repositories take it as they are: a session, its transaction and a savepoint cost
        # several times what the statement itself costs.
        if self.writer is not None:
            return self.writer.unit(one_statement=True)
        if self._kept is not None:
            return self._kept.statement()
        return self._statement_on_a_connection()

    @asynccontextmanager
    async def _statement_on_a_connection(self) -> AsyncIterator[AsyncSession]:
        async with self._read_engine.connect() as connection:
            yield cast(AsyncSession, OneStatement(connection))

    async def migrate(self) -> None:
        """Bring the schema up to date (every head: features add their own branches).

        On PostgreSQL, several workers starting at once take turns: the first migrates, the others
        then find nothing to do (two at once would both create the same tables and one would fail).
        """
        async with self.engine.begin() as conn:
            if self.is_postgres:
                # Held until this transaction ends, so also released if the process dies.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_upgrade_with_connection)

    async def dispose(self) -> None:
        await self.lookups.close()
        if self._kept is not None:
            await self._kept.close()
        if self.writer is not None:
            await self.writer.close()
        if self._loop_reads is not None:
            self._loop_reads.close()
        if self._read_engine.sync_engine is not self.engine.sync_engine:
            await self._read_engine.dispose()
        await self.engine.dispose()


class OneStatement:
    """What `Database.one_statement()` hands out: a statement runs on a connection, and is
    committed with it (autocommit) or with the transaction the connection is in (SQLite's writer).
    A statement that fails changes nothing (each statement is atomic) and leaves that transaction
    as it was, so no savepoint is needed. Statements that can be are run on the driver's connection
    directly (`storage.compiled`), on SQLite's writer and on PostgreSQL."""

    __slots__ = ("_connection", "_direct")

    def __init__(self, connection: AsyncConnection, direct: DirectRunner | None = None) -> None:
        self._connection = connection
        self._direct = direct

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Result[Any]:
        refuse_watched_write(statement)
        if self._direct is not None:
            plan = self._direct.statements.plan(statement, parameters)
            if plan is not None and not plan.results:
                # Only `rowcount` means anything in the result of a write that returns no rows.
                return cast(Result[Any], Written(await self._direct.rowcount(plan, parameters)))
        return await self._connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Any:
        refuse_watched_write(statement)
        if self._direct is not None:
            plan = self._direct.statements.plan(statement, parameters)
            if plan is not None:
                return await self._direct.scalar(plan, parameters)
        return await self._connection.scalar(statement, parameters)

    def closed(self) -> bool:
        runner = self._direct
        driver_closed = isinstance(runner, AsyncpgRunner) and runner.closed()
        return self._connection.closed or self._connection.invalidated or driver_closed

    async def close(self) -> None:
        """Close the connection for good (the pool makes a new one in its place)."""
        try:
            await self._connection.invalidate()
        finally:
            await self._connection.close()

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"db.one_statement() runs one statement (execute or scalar), not {name}: use db.session()")


class KeptConnections:
    """A few connections kept out of PostgreSQL's pool for one-statement writes: taking one from the
    pool and giving it back cost the bot about as much CPU as the statement's own round trip. Each
    runs one statement at a time; when all are busy, a statement takes one from the pool as before.
    One whose statement failed or was stopped half-way is closed, not kept: it may be broken."""

    def __init__(self, engine: AsyncEngine, statements: CompiledStatements, most: int) -> None:
        self._engine = engine
        self._statements = statements
        self._most = most
        self._free: list[OneStatement] = []
        self._made = 0
        self._closing: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[AsyncSession]:
        """`Database.one_statement()` on PostgreSQL: on a kept connection, or one from the pool."""
        kept = await self._take()
        if kept is None:
            async with self._engine.connect() as connection:
                yield cast(AsyncSession, OneStatement(connection, await AsyncpgRunner.on(self._statements, connection)))
            return
        healthy = False
        try:
            yield cast(AsyncSession, kept)
            healthy = True
        finally:
            if healthy:
                self._free.append(kept)
            else:
                self._discard(kept)

    async def _take(self) -> OneStatement | None:
        """A kept connection's statement, or None when every one is busy."""
        while self._free:
            kept = self._free.pop()
            if not kept.closed():
                return kept
            self._discard(kept)  # the server closed it while it waited here
        if self._made >= self._most:
            return None
        self._made += 1
        connection = None
        try:
            connection = await self._engine.connect()
            return OneStatement(connection, await AsyncpgRunner.on(self._statements, connection))
        except BaseException:
            self._made -= 1
            if connection is not None:
                await connection.close()
            raise

    def _discard(self, kept: OneStatement) -> None:
        self._made -= 1
        task = asyncio.get_running_loop().create_task(kept.close())
        self._closing.add(task)  # held: the loop keeps only a weak reference to a task
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        free, self._free = self._free, []
        await asyncio.gather(*(kept.close() for kept in free), *self._closing, return_exceptions=True)
        self._made = 0


def _read_connection(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    _sqlite_pragmas(connection, None)
    return connection


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
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _is_busy(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or (
        "locked" in str(exc.orig)
    )


def _sqlite_writer_connect(dbapi_connection: object, record: object) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    # Waiting for another process's lock is done by `SqliteWriter._begin`, off the event loop's back.
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()
    # The driver starts no transactions of its own: the writer says BEGIN IMMEDIATE (below), and
    # the savepoints inside that transaction then work as SQLite documents them.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


class _RunNow:
    """Stands in for aiosqlite's queue to its thread: each call runs at once, on the event loop's
    thread. A write to SQLite takes microseconds; handing it to a thread and waiting for the event
    loop to come back to the result takes a whole turn of the loop, and the writer is used by one
    unit at a time, so under load those turns, not SQLite, would set the pace of every write."""

    def put_nowait(self, item: tuple[asyncio.Future[object] | None, Callable[[], object]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class _InlineSqlite(aiosqlite.Connection):
    """aiosqlite's connection without its thread (see `_RunNow`)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor of the connections that run on aiosqlite's threads (reads, and everything on an
    in-memory database): a statement is one trip to the connection's thread, which opens a
    cursor, runs the statement, reads its rows and closes the cursor. Through aiosqlite's own
    cursor those were four trips, each a wake-up of the thread and then of the event loop, and
    cost more than a short read itself."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = immutabledict()
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection = self._connection
        try:
            trip = connection._execute(run_statement, connection._conn, operation, parameters, many)  # type: ignore[attr-defined]
            self._description, self._rowcount, self._lastrowid, rows = await_only(trip)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(rows)

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        pass  # nothing is left to read: the rows were read with the statement


class _LoopReadCursor(_OneTripCursor):
    """A reader's cursor: on the event loop's thread while the read is short (`storage.reads`)."""

    __slots__ = ()

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        sqlite = self._connection._conn  # type: ignore[attr-defined]
        try:
            result = read_on_loop(sqlite, operation, parameters, many)
            if result is None:  # interrupted: again, on a thread
                loop = asyncio.get_running_loop()
                result = await_only(loop.run_in_executor(None, run_statement, sqlite, operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, self._rowcount, self._lastrowid, rows = result
        self._rows = collections.deque(rows)


class _LoopReadConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _LoopReadCursor


class _LoopReadDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _LoopReadConnection:
        return _LoopReadConnection(self, _created(kw))


def _loop_read_engine(url: str) -> AsyncEngine:
    # A reader is held only while a read session is open (its statements do not wait for the loop);
    # the pool is wide so that sessions left open across a slow await do not make others wait.
    return _inline_engine(
        url, _LoopReadDbapi(aiosqlite, sqlite3), _sqlite_pragmas, isolation_level="AUTOCOMMIT",
        skip_autocommit_rollback=True, pool_size=10, max_overflow=40,
    )  # fmt: skip


def _inline_engine(
    url: str, dbapi: AsyncAdapt_aiosqlite_dbapi, on_connect: Callable[[object, object], None], **kwargs: Any
) -> AsyncEngine:
    """An engine whose SQLite connections run on the event loop's thread (`_InlineSqlite`)."""
    path = make_url(url).database or ""

    async def connect() -> aiosqlite.Connection:
        return await _InlineSqlite(functools.partial(sqlite3.connect, path, check_same_thread=False))

    # hide_parameters: an error would otherwise carry what members wrote into the log.
    created = create_async_engine(url, async_creator=connect, hide_parameters=True, module=dbapi, **kwargs)
    engine = _InlineAsyncEngine(created.sync_engine)
    event.listen(engine.sync_engine, "connect", on_connect)
    return engine


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor


class _OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        return _OneTripConnection(self, super().connect(*arg, **kw)._connection)


class _InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """The writer's cursor: sqlite3's own, called directly (see `_RunNow`). Through aiosqlite and
    SQLAlchemy's adapter for it, opening, running and closing a cursor were each a coroutine, a
    future and two switches between greenlets, and cost more than the statement. Rows are read
    at once, as that adapter does, so that no statement is left open."""

    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = adapt_connection._connection._conn.cursor()
        self._soft_closed_memoized = immutabledict()
        self._rows = collections.deque()

    @property
    def _sqlite(self) -> sqlite3.Cursor:
        # The base class declares aiosqlite's cursor; this one keeps sqlite3's own in its place.
        return cast(sqlite3.Cursor, self._cursor)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        cursor = self._sqlite
        try:
            result = cursor.execute(operation) if parameters is None else cursor.execute(operation, parameters)
            if cursor.description:
                self._rows = collections.deque(cursor.fetchall())
            return result
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return self._sqlite.executemany(operation, seq_of_parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def close(self) -> None:
        self._rows.clear()
        self._sqlite.close()

    async def _async_soft_close(self) -> None:
        pass  # nothing is left to read: the rows were read with the statement


class _InlineConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's adapter for the writer's aiosqlite connection, with cursors, commits and
    rollbacks straight on sqlite3 (see `_InlineCursor`)."""

    __slots__ = ()
    _cursor_cls = _InlineCursor

    def commit(self) -> None:
        if self._connection._connection:
            try:
                self._connection._connection.commit()
            except Exception as error:
                self._handle_exception(error)

    def rollback(self) -> None:
        if self._connection._connection:
            try:
                self._connection._connection.rollback()
            except Exception as error:
                self._handle_exception(error)


class _InlineDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _InlineConnection:
        return _InlineConnection(self, _created(kw))


def _created(kw: dict[str, Any]) -> Any:
    """The connection `_inline_engine`'s `async_creator` makes (the only argument SQLAlchemy passes on)."""
    return await_only(kw.pop("async_creator_fn")())


class _InlineAsyncConnection(AsyncConnection):
    """The writer's connection. Its statements never wait for anything (`_InlineCursor`), which
    `AsyncConnection.execute` would take for a driver that is not async, and refuse."""

    async def execute(  # type: ignore[override]
        self, statement: Executable, parameters: Any = None, *, execution_options: Any = None
    ) -> CursorResult[Any]:
        return await greenlet_spawn(self._proxied.execute, statement, parameters, execution_options=execution_options)

    async def exec_driver_sql(
        self, statement: str, parameters: Any = None, execution_options: Any = None
    ) -> CursorResult[Any]:
        return await greenlet_spawn(self._proxied.exec_driver_sql, statement, parameters, execution_options)


class _InlineAsyncEngine(AsyncEngine):
    _connection_cls = _InlineAsyncConnection


def _begin_immediate(connection: Connection) -> None:
    # Take the write lock at once, not at the first write: a transaction that read first and
    # then wanted to write could find another process had written meanwhile, and fail.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# The unit of work the running task is in, if any, so that a unit opened inside it joins it.
_current_unit: contextvars.ContextVar[tuple[asyncio.Task[object] | None, _Group] | None] = contextvars.ContextVar(
    "samskap_write_unit", default=None
)


@dataclass
class _Group:
    """Units of work sharing one SQLite transaction; each caller waits for `committed`."""

    transaction: AsyncTransaction
    committed: asyncio.Future[None]
    units: int = 0
    lookups_changed: bool = False
    commit_scheduled: bool = False


class _Unit:
    """A unit of work on SQLite's writer (`SqliteWriter.unit`): it waits for its turn, joins the open
    group's transaction (in a savepoint, or as one statement, atomic on its own), and its block ends
    once the group has committed. A class, not a generator: it is entered twice for every command."""

    __slots__ = ("_group", "_one_statement", "_savepoint", "_token", "_writer")

    def __init__(self, writer: SqliteWriter, one_statement: bool) -> None:
        self._writer = writer
        self._one_statement = one_statement
        self._group: _Group | None = None  # None: opened inside another unit of this task, committed with it
        self._savepoint: AbstractAsyncContextManager[AsyncSession] | None = None
        self._token: contextvars.Token[Any] | None = None

    async def __aenter__(self) -> AsyncSession:
        writer = self._writer
        current = _current_unit.get()
        if current is not None and current[0] is asyncio.current_task():
            return await self._enter(current[1])
        await writer._take_turn()
        group = None
        try:
            group = await writer._group_to_join()
            self._token = _current_unit.set((asyncio.current_task(), group))
            session = await self._enter(group)
        except BaseException:
            if self._token is not None:
                _current_unit.reset(self._token)
            if group is not None and writer.waiting == 0:
                writer._commit_soon(group)  # what the units before wrote still waits for its commit
            writer._turn.release()
            raise
        self._group = group
        return session

    async def _enter(self, group: _Group) -> AsyncSession:
        if self._one_statement:
            return self._writer._one_statement()
        self._savepoint = self._writer._savepoint(group)
        return await self._savepoint.__aenter__()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        group, writer = self._group, self._writer
        try:
            if self._savepoint is not None:
                await self._savepoint.__aexit__(kind, error, tb)  # rolls back to the savepoint, and raises again
        finally:
            if group is not None:
                try:
                    _current_unit.reset(cast(contextvars.Token[Any], self._token))
                    group.units += 1
                    if group.units >= MAX_GROUP:
                        await writer._commit(group)
                    elif writer.waiting == 0:
                        writer._commit_soon(group)
                finally:
                    writer._turn.release()
        if group is not None and kind is None:
            await group.committed


class _WriterSession(DirectSession):
    writes = True


class SqliteWriter:
    """The one connection that writes to a SQLite database, with group commit.

    Units of work take turns on it, each in a savepoint of one transaction they share. When no
    unit is waiting for its turn, the transaction commits after one pass of the event loop (so
    that the tasks ready to run can join it), or at once when `MAX_GROUP` have had theirs; and
    only then does each unit's `async with` end: what a command wrote is committed before it is
    acknowledged. A unit that fails is rolled back to its savepoint; the others keep their work.
    Under load many commands' writes share one commit, and no two connections ever wait for
    SQLite's write lock in turn, which is where "database is locked" came from.
    """

    def __init__(
        self, url: str, session_class: type[Session], lookups: ChannelLookups, checkpointer: AsyncEngine
    ) -> None:
        self.engine = _inline_engine(
            url, _InlineDbapi(aiosqlite, sqlite3), _sqlite_writer_connect, pool_size=1, max_overflow=0
        )
        self._checkpointer = checkpointer
        self._commits = 0
        event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        self._sessions = async_sessionmaker(
            class_=_WriterSession, expire_on_commit=False, sync_session_class=session_class,
            join_transaction_mode="create_savepoint",
        )  # fmt: skip
        self._lookups = lookups
        self._turn = asyncio.Lock()
        self._connection: AsyncConnection | None = None
        self._statements = CompiledStatements(self.engine.dialect)
        self._direct: SqliteRunner | None = None  # one-statement writes on `_connection`'s own sqlite3
        self._group: _Group | None = None
        self.waiting = 0  # units waiting for their turn
        self._background: set[asyncio.Task[None]] = set()

    def unit(self, *, one_statement: bool = False) -> _Unit:
        """A unit of work; the block ends once what it wrote is committed."""
        return _Unit(self, one_statement)

    async def _take_turn(self) -> None:
        self.waiting += 1
        try:
            await self._turn.acquire()
        except BaseException:
            # Given up while waiting (cancelled): the unit before may have left its group for us to commit.
            self.waiting -= 1
            if self.waiting == 0 and self._group is not None:
                self._in_background(self._commit_open_group())
            raise
        self.waiting -= 1

    async def _group_to_join(self) -> _Group:
        if self._group is None:
            transaction = await self._begin()
            self._group = _Group(transaction, asyncio.get_running_loop().create_future())
            # Only the unit whose commit failed may be the one to hear of it; never "never retrieved".
            self._group.committed.add_done_callback(lambda f: f.cancelled() or f.exception())
        return self._group

    async def _begin(self) -> AsyncTransaction:
        """BEGIN IMMEDIATE, waiting (without stopping the event loop) while another process,
        such as a `samskap` command, holds SQLite's write lock."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + SQLITE_BUSY_TIMEOUT_MS / 1000
        pause = 0.001
        while True:
            if self._connection is None:
                self._connection = await self.engine.connect()
                raw = await self._connection.get_raw_connection()
                self._direct = SqliteRunner(self._statements, cast(_InlineSqlite, raw.driver_connection)._conn)
            try:
                return await self._connection.begin()
            except OperationalError as exc:
                if not _is_busy(exc) or loop.time() >= give_up_at:
                    raise
            await self._discard_connection()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _one_statement(self) -> AsyncSession:
        assert self._connection is not None and self._direct is not None, "only while a group's transaction is open"
        return cast(AsyncSession, OneStatement(self._connection, self._direct))

    @asynccontextmanager
    async def _savepoint(self, group: _Group) -> AsyncIterator[AsyncSession]:
        direct = self._direct
        assert direct is not None, "only while a group's transaction is open"
        session = self._sessions(bind=self._connection)
        session.statements, session.direct = direct.statements, direct
        direct.savepoint()
        try:
            session.info[GROUPED] = True
            try:
                async with session.begin():
                    yield session
            except BaseException:
                direct.roll_back()
                raise
            direct.release()
            if session.info.pop(CHANGED, False):
                group.lookups_changed = True
        finally:
            # Closed here, not by `async with session`: that closes in a task of its own and waits
            # for it, a pass of the event loop while this unit holds the writer. Under load each
            # unit waiting for its turn then waited for such passes, one after another. Closing
            # runs nothing on the connection here (the savepoint has ended), so it cannot stop half-way.
            await session.close()

    async def _commit(self, group: _Group) -> None:
        self._group = None
        try:
            await group.transaction.commit()
        except BaseException as exc:
            log.error("a group of %d writes could not be committed", group.units, exc_info=True)
            await self._discard_connection()
            group.committed.set_exception(exc if isinstance(exc, Exception) else RuntimeError("commit interrupted"))
            raise
        if group.lookups_changed:
            self._lookups.forget_all()
        group.committed.set_result(None)
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            self._in_background(self._checkpoint())

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        # Held until done: the event loop keeps only a weak reference to a task.
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _checkpoint(self) -> None:
        """Move the write-ahead log into the database file, on a reader's thread: the writer does
        not do it itself (`wal_autocheckpoint=0`), as that would stop the event loop while it syncs."""
        try:
            async with self._checkpointer.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            log.warning("checkpointing the SQLite log failed; will try again", exc_info=True)

    def _commit_soon(self, group: _Group) -> None:
        """Commit once the tasks that are ready to run have had their turn. Nobody waits for the
        writer now, but tasks about to write are often ready already (the commands that came in
        with this one, the rest of this command): committing at once would give each its own
        commit, where waiting one pass of the event loop lets them share this one."""
        if not group.commit_scheduled:
            group.commit_scheduled = True
            self._in_background(self._commit_open_group(group))

    async def _commit_open_group(self, group: _Group | None = None) -> None:
        """Commit `group` (or whichever is open) if it has not been committed meanwhile."""
        async with self._turn:
            if self._group is not None and (group is None or self._group is group):
                try:
                    await self._commit(self._group)
                except Exception:
                    pass  # logged, and raised to the units of the group, by `_commit`

    async def _discard_connection(self) -> None:
        connection, self._connection, self._direct = self._connection, None, None
        if connection is not None:
            try:
                await connection.invalidate()
                await connection.close()
            except Exception:
                log.debug("closing the writer's connection failed", exc_info=True)

    async def close(self) -> None:
        await self._commit_open_group()  # what units wrote is theirs, even if its commit was still to come
        # A checkpoint still running would give its connection back to a pool already disposed
        # of, and its thread would keep the process from exiting.
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
            self._connection, self._direct = None, None
        await self.engine.dispose()


# PostgreSQL's "too many connections" (max_connections, or a role's or database's CONNECTION LIMIT).
TOO_MANY_CONNECTIONS = "53300"


class PatientPool(AsyncAdaptedQueuePool):
    """When the server has no connection slot left for one more connection, wait for one of our
    own to be given back, as when the pool is full, instead of failing the event. Several workers
    with wide pools can ask for more connections than PostgreSQL allows; under load each command
    then failed with "too many clients" instead of waiting a moment."""

    def _do_get(self) -> ConnectionPoolEntry:
        try:
            return super()._do_get()
        except Exception as exc:
            if not _is_too_many_connections(exc) or self.checkedout() == 0:
                raise
        log.warning("the database has no connection slot left; waiting for a connection of this worker")
        try:
            return self._pool.get(True, self._timeout)
        except sqla_queue.Empty:
            raise PoolTimeoutError(
                f"no connection came back within {self._timeout:.0f} s, and the database allows no more"
            ) from None


def _is_too_many_connections(exc: BaseException | None) -> bool:
    for _ in range(4):  # the driver's error, wrapped by SQLAlchemy's adapter
        if exc is None:
            return False
        if TOO_MANY_CONNECTIONS in (getattr(exc, "sqlstate", None), getattr(exc, "pgcode", None)):
            return True
        exc = exc.__cause__ or getattr(exc, "orig", None)
    return False


def _discard_closed_connection(dbapi_connection: object, _record: object, _proxy: object) -> None:
    """A connection the server closed while it sat in the pool (a terminated backend, a failover)
    is replaced before anyone uses it. asyncpg notices the close as it happens, so this costs no
    round trip, unlike a ping on every checkout."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the server closed this connection")


def run_migrations(url: str) -> None:
    """Synchronous entry point for `samskap db upgrade`."""

    async def _run() -> None:
        db = Database(url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(_run())
