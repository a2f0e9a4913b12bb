"""Can samskap use this database? Asked by `samskap config check` and before `run` and `db upgrade`,
so that an unreachable server or a read-only SQLite file is one clear line, not a traceback."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from storage.db import Database, normalise_url

CONNECT_TIMEOUT = 10.0


def shown_url(url: str) -> str:
    """The URL without its password, fit for a message."""
    try:
        parsed = make_url(url)
        return url if parsed.password is None else parsed.render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(a database URL that cannot be read)"


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL; None for memory databases and other URLs."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        return None
    database = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or database in ("", ":memory:") or database.startswith("file:"):
        return None  # memory, or a SQLite URI (file:...?mode=ro), which SQLite itself opens
    return Path(database)


def sqlite_file_problem(path: Path) -> str | None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"The folder {folder} for the SQLite database does not exist."
    if path.is_dir():
        return f"The SQLite database {path} is a folder, not a file."
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"The SQLite database {path} is read-only; samskap must be able to write it."
    # SQLite writes its journal (samskap.db-wal) next to the file, so the folder must be writable too.
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"The folder {folder} of the SQLite database is read-only; SQLite writes its journal there."
    return None


async def database_problem(url: str) -> str | None:
    """Why samskap cannot read and write the database at `url`, in plain words; None if it can."""
    path = sqlite_path(url)
    if path is not None and (problem := sqlite_file_problem(path)):
        return problem
    if path is not None and not path.exists():
        return None  # created at start, in a folder that was just found writable
    try:
        db = Database(url)
    except (ArgumentError, ValueError, ImportError) as error:
        return f"The database URL {shown_url(url)} cannot be used: {error}."
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await _try_a_write(db)
    except TimeoutError:
        return f"Cannot reach the database at {shown_url(url)}: no answer within {CONNECT_TIMEOUT:.0f} seconds."
    except (OSError, SQLAlchemyError, sqlite3.Error) as error:
        return f"Cannot use the database at {shown_url(url)}: {reason(error)}."
    finally:
        await db.dispose()
    return None


async def _try_a_write(db: Database) -> None:
    """Connect, and take a write lock without writing: a read-only database fails here."""
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        if db.is_sqlite:
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            await conn.exec_driver_sql("ROLLBACK")


def reason(error: BaseException) -> str:
    """The first line of the driver's own message, without SQLAlchemy's SQL and parameters."""
    original = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    if isinstance(original, ConnectionRefusedError) or "Connect call failed" in str(original):
        return "the connection was refused (is the server running, and is the host and port right?)"
    if isinstance(original, OSError) and original.strerror:
        return original.strerror.lower()
    message = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    if "readonly database" in message or "read-only" in message:
        return "the database is read-only; samskap must be able to write it"
    return message
