"""`samskap db backup PATH`: a consistent copy of the SQLite database, safe while the bot runs.

SQLite's online backup API copies page by page and restarts when a writer changes a page it has
copied, so the copy is one committed state of the database even while the bot keeps writing.
PostgreSQL is backed up with its own tools (`pg_dump`), as the README says.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """Why there is no backup, in words for the operator."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise BackupError(
            "samskap db backup copies the embedded SQLite database. Back up PostgreSQL with pg_dump "
            "(see the README, Running in production)."
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("The database is in memory: there is nothing on disk to back up.")
    return Path(url.database)


def backup_sqlite(database_url: str, target: Path) -> Path:
    """Copy the database at `database_url` to `target` (a file; it must not exist yet)."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name, so no backup is overwritten.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    # Read-only on the source: a backup never changes the live database.
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as live, sqlite3.connect(target) as copy:
        live.backup(copy, pages=1024)
    with sqlite3.connect(target) as check:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"The copy at {target} failed SQLite's integrity check.")
    return target
