"""Statements compiled once and run on the driver's own connection: what most commands write and read.

SQLAlchemy caches a statement's compiled form, but each run still builds an execution context, a
cursor result and its metadata, and on the async engine passes through a greenlet: for a short
write (an idea, where its card was posted) that cost four times the write itself, and for a list of
ideas twenty times the read. Only statements a module builds once and marks (`built_once`) are
run so; one that only SQLAlchemy can run correctly (Python-side defaults to fill in, `IN` lists
expanded at run time, renamed parameters, mapped objects to load) is left to it: `plan` answers None.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, TypeVar, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Plan:
    """How to run one statement with one set of parameter names."""

    compiled: SQLCompiler
    binds: tuple[tuple[str, Processor | None], ...]  # in the order of the statement's placeholders
    results: tuple[Processor | None, ...]  # one per column it returns (none: it returns no rows)
    all_given: bool  # every parameter is one of the values given (none comes from the statement itself)
    columns: SimpleResultMetaData | None  # the names of the columns it returns, for its `Result`
    reads: bool  # a SELECT: it changes nothing

    @property
    def sql(self) -> str:
        return self.compiled.string

    def parameters(self, values: Mapping[str, Any] | None) -> tuple[Any, ...]:
        given = (values or {}) if self.all_given else self.compiled.construct_params(values, _check=False)
        return tuple(given[name] if process is None else process(given[name]) for name, process in self.binds)

    def row(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        pairs = zip(raw, self.results, strict=True)
        return tuple(value if process is None else process(value) for value, process in pairs)

    def error(self, error: Exception, dbapi_error: type[Exception], dialect: Dialect) -> Exception:
        """The driver's `error` as SQLAlchemy raises it (IntegrityError …), but without the values:
        they are what members wrote."""
        return cast(
            Exception, DBAPIError.instance(self.sql, None, error, dbapi_error, hide_parameters=True, dialect=dialect)
        )


S = TypeVar("S", bound=Executable)

# The statements that get plans: those built once, at import. A statement built anew for each call
# would be compiled again each time (SQLAlchemy's own cache knows a statement by its shape; this one
# knows it by identity) and kept for good. Kept here, so an id here is never another statement's.
_BUILT_ONCE: dict[int, Executable] = {}


def built_once(statement: S) -> S:
    """Mark `statement`, a module's constant, as one to run on the driver's connection when it can."""
    _BUILT_ONCE[id(statement)] = statement
    return statement


class CompiledStatements:
    """The plans of one dialect, by statement (`built_once`) and the names of the parameters it is given."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, frozenset[str]], Plan | None] = {}

    def plan(self, statement: Executable, values: Mapping[str, Any] | None) -> Plan | None:
        if id(statement) not in _BUILT_ONCE:
            return None
        key = (id(statement), frozenset(values or ()))
        try:
            return self._plans[key]
        except KeyError:
            plan = self._plans[key] = self._compile(statement, sorted(key[1]))
            return plan

    def _compile(self, statement: Executable, names: list[str]) -> Plan | None:
        compiled = statement.compile(dialect=self.dialect, column_keys=names)  # type: ignore[attr-defined]
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            return None
        if compiled.prefetch or compiled.literal_execute_params or compiled.post_compile_params:
            return None  # defaults computed in Python, or parameters rendered at run time
        if compiled.escaped_bind_names:
            return None
        processors = compiled._bind_processors
        results = tuple(column.type._cached_result_processor(self.dialect, None) for column in compiled._result_columns)
        binds = tuple((name, cast(Processor | None, processors.get(name))) for name in compiled.positiontup)
        all_given = set(compiled.positiontup) <= set(names)
        reads = isinstance(statement, Select)
        described = getattr(statement, "column_descriptions" if reads else "returning_column_descriptions", [])
        if not all(isinstance(column["type"], TypeEngine) for column in described):
            return None  # it loads mapped objects: the ORM's work
        columns = SimpleResultMetaData([column["name"] for column in described]) if results else None
        return Plan(compiled, binds, results, all_given, columns, reads)


class Written:
    """What a write that returns no rows tells: how many rows it changed (as a result's `rowcount`)."""

    __slots__ = ("rowcount",)

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


class DirectReader(Protocol):
    """Runs plans that read on one driver connection."""

    statements: CompiledStatements

    async def rows(self, plan: Plan, values: Mapping[str, Any] | None) -> list[tuple[Any, ...]]: ...


class DirectRunner(DirectReader, Protocol):
    """Runs plans on one driver connection, in whatever transaction it is in."""

    async def scalar(self, plan: Plan, values: Mapping[str, Any] | None) -> Any: ...

    async def rowcount(self, plan: Plan, values: Mapping[str, Any] | None) -> int: ...


class SqliteRunner:
    """Plans run on a sqlite3 connection (SQLite's writer: on the event loop's thread)."""

    __slots__ = ("_connection", "statements")

    def __init__(self, statements: CompiledStatements, connection: sqlite3.Connection) -> None:
        self.statements = statements
        self._connection = connection

    async def scalar(self, plan: Plan, values: Mapping[str, Any] | None) -> Any:
        cursor = self._run(plan, values)
        try:
            raw = cursor.fetchone()
        finally:
            cursor.close()
        return None if raw is None else plan.row(raw)[0]

    async def rowcount(self, plan: Plan, values: Mapping[str, Any] | None) -> int:
        cursor = self._run(plan, values)
        try:
            if plan.results:
                cursor.fetchall()  # a statement with RETURNING is done only when its rows are read
            return cursor.rowcount
        finally:
            cursor.close()

    async def rows(self, plan: Plan, values: Mapping[str, Any] | None) -> list[tuple[Any, ...]]:
        cursor = self._run(plan, values)
        try:
            return [plan.row(raw) for raw in cursor.fetchall()]
        finally:
            cursor.close()

    def _run(self, plan: Plan, values: Mapping[str, Any] | None) -> sqlite3.Cursor:
        parameters = plan.parameters(values)
        try:
            return self._connection.execute(plan.sql, parameters)
        except sqlite3.Error as error:
            raise plan.error(error, sqlite3.Error, self.statements.dialect) from error

    # A unit of work's savepoint, around whatever it runs directly or through SQLAlchemy (which
    # makes a savepoint of its own inside it when the unit uses the ORM).
    def savepoint(self) -> None:
        self._connection.execute("SAVEPOINT unit")

    def release(self) -> None:
        self._connection.execute("RELEASE unit")

    def roll_back(self) -> None:
        self._connection.execute("ROLLBACK TO unit")
        self._connection.execute("RELEASE unit")


class AsyncpgRunner:
    """Plans run on an asyncpg connection, which prepares each statement once and keeps it."""

    __slots__ = ("_adapted", "_connection", "statements")

    def __init__(self, statements: CompiledStatements, adapted: Any, connection: Any) -> None:
        self.statements = statements
        self._adapted = adapted  # SQLAlchemy's adapter around `connection`: it names asyncpg's errors as DBAPI ones
        self._connection = connection

    @classmethod
    async def on(cls, statements: CompiledStatements, connection: AsyncConnection) -> AsyncpgRunner:
        """A runner on the asyncpg connection beneath SQLAlchemy's `connection`."""
        raw = await connection.get_raw_connection()
        return cls(statements, raw.dbapi_connection, raw.driver_connection)

    def closed(self) -> bool:
        """The server or the network closed the connection (asyncpg notices as it happens)."""
        return bool(self._connection.is_closed())

    async def scalar(self, plan: Plan, values: Mapping[str, Any] | None) -> Any:
        try:
            record = await self._connection.fetchrow(plan.sql, *plan.parameters(values))
        except Exception as error:
            self._raise(plan, error)
        return None if record is None else plan.row(tuple(record))[0]

    async def rowcount(self, plan: Plan, values: Mapping[str, Any] | None) -> int:
        try:
            status = await self._connection.execute(plan.sql, *plan.parameters(values))
        except Exception as error:
            self._raise(plan, error)
        return int(status.rsplit(" ", 1)[-1])  # "UPDATE 3", "INSERT 0 1"

    async def rows(self, plan: Plan, values: Mapping[str, Any] | None) -> list[tuple[Any, ...]]:
        try:
            records = await self._connection.fetch(plan.sql, *plan.parameters(values))
        except Exception as error:
            self._raise(plan, error)
        return [plan.row(tuple(record)) for record in records]

    def _raise(self, plan: Plan, error: Exception) -> NoReturn:
        dbapi_error = self.statements.dialect.loaded_dbapi.Error
        try:
            self._adapted._handle_exception(error)  # raises it as a DBAPI error
        except dbapi_error as translated:
            raise plan.error(translated, dbapi_error, self.statements.dialect) from error
        raise error
