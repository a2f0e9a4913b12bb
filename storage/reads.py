"""Read sessions whose reads of plain columns skip SQLAlchemy's execution (see `storage.compiled`).

Listing ideas, the most common command, reads ten rows of plain columns; through the ORM session
that read cost twenty times what SQLite took to answer it. A read session runs such a statement
on the driver's own connection, with the plan `storage.compiled` keeps for it, and answers with a
`Result` as SQLAlchemy would. Statements that load mapped objects, or that only SQLAlchemy can run,
still go through it. Reads need no transaction (every read connection is in autocommit), so a
statement run directly sees what one run through SQLAlchemy would.

On SQLite a read runs on the event loop's thread: most take tens of microseconds, and a trip to a
thread and back costs several times that and, under load, waits behind other events for the loop.
One still running after `LOOP_READ_SECONDS` (a large report, a cold cache) is interrupted by
SQLite's progress handler and run again on a thread, so that it does not hold up every other
member; a read changes nothing, so running it again is safe.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Callable, Mapping
from typing import Any

from storage.compiled import CompiledStatements, Plan

# How long a read may run on the event loop's thread before it is moved to a thread of its own.
LOOP_READ_SECONDS = 0.003

Ran = tuple[Any, int, int | None, list[Any]]  # description, rowcount, lastrowid, rows


def run_statement(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Ran:
    """Open a cursor, run one statement, read all its rows and close the cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class _Budget:
    """How long a statement may run on the event loop's thread (SQLite's progress handler)."""

    __slots__ = ("ran_out", "until")

    def __init__(self, until: float) -> None:
        self.until = until
        self.ran_out = False

    def check(self) -> int:
        if time.perf_counter() > self.until:
            self.ran_out = True
            return 1  # interrupts the statement
        return 0


def read_on_loop(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Ran | None:
    """The statement run here and now, or None when it ran out of time and was interrupted."""
    budget = _Budget(time.perf_counter() + LOOP_READ_SECONDS)
    connection.set_progress_handler(budget.check, 1000)  # every thousand steps of SQLite's machine
    try:
        return run_statement(connection, operation, parameters, many)
    except sqlite3.OperationalError:
        if not budget.ran_out:
            raise
        return None
    finally:
        connection.set_progress_handler(None, 0)


class LoopReads:
    """Plans read on SQLite: on the event loop's thread while they are short, on one connection of
    their own (a read there ends before anything else runs, so one is enough); a read moved to a
    thread takes a spare connection, so that the first is free again at once."""

    def __init__(self, statements: CompiledStatements, connect: Callable[[], sqlite3.Connection]) -> None:
        self.statements = statements
        self._connect = connect
        self._here: sqlite3.Connection | None = None
        self._spare: list[sqlite3.Connection] = []

    async def rows(self, plan: Plan, values: Mapping[str, Any] | None) -> list[tuple[Any, ...]]:
        parameters = plan.parameters(values)
        try:
            if self._here is None:
                self._here = self._connect()
            ran = read_on_loop(self._here, plan.sql, parameters, False)
            if ran is None:  # interrupted: again, on a thread
                ran = await self._on_a_thread(plan.sql, parameters)
        except sqlite3.Error as error:
            raise plan.error(error, sqlite3.Error, self.statements.dialect) from error
        return [plan.row(raw) for raw in ran[3]]

    async def _on_a_thread(self, sql: str, parameters: Any) -> Ran:
        connection = self._spare.pop() if self._spare else self._connect()
        reading = asyncio.get_running_loop().run_in_executor(None, run_statement, connection, sql, parameters, False)
        # Spare again once the thread is done with it, even when the one who asked stopped waiting.
        reading.add_done_callback(functools.partial(self._spare_again, connection))
        return await asyncio.shield(reading)

    def _spare_again(self, connection: sqlite3.Connection, reading: asyncio.Future[Ran]) -> None:
        self._spare.append(connection)
        if not reading.cancelled():
            reading.exception()  # heard of by whoever still waits; not "never retrieved" when nobody does

    def close(self) -> None:
        for connection in [*self._spare, *([self._here] if self._here else [])]:
            connection.close()
        self._here, self._spare = None, []
