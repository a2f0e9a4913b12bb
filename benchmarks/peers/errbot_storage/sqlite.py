"""An errbot storage plugin on SQLite, written for the comparison: errbot ships none on PyPI.

One table of (namespace, key, pickled value), one connection shared by errbot's worker threads
behind a lock, each `set` its own transaction, with samskap's journal settings (WAL,
synchronous=NORMAL), so this variant differs from samskap in the bot, not in the database.
"""

from __future__ import annotations

import pickle
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from errbot.storage.base import StorageBase, StoragePluginBase


class SQLiteStorage(StorageBase):  # type: ignore[misc]
    def __init__(self, db: sqlite3.Connection, lock: threading.Lock, namespace: str) -> None:
        self.db, self.lock, self.namespace = db, lock, namespace

    def get(self, key: str) -> Any:
        with self.lock:
            row = self.db.execute("SELECT value FROM store WHERE namespace = ? AND key = ?",
                                  (self.namespace, key)).fetchone()  # fmt: skip
        if row is None:
            raise KeyError(f"{key} doesn't exist.")
        return pickle.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        data = pickle.dumps(value)
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO store VALUES (?, ?, ?)", (self.namespace, key, data))

    def remove(self, key: str) -> None:
        with self.lock:
            gone = self.db.execute("DELETE FROM store WHERE namespace = ? AND key = ?", (self.namespace, key))
        if gone.rowcount == 0:
            raise KeyError(f"{key} doesn't exist.")

    def len(self) -> int:
        with self.lock:
            row = self.db.execute("SELECT count(*) FROM store WHERE namespace = ?", (self.namespace,)).fetchone()
        return int(row[0])

    def keys(self) -> Iterable[str]:
        with self.lock:
            return [k for (k,) in self.db.execute("SELECT key FROM store WHERE namespace = ?", (self.namespace,))]

    def close(self) -> None:
        pass


class SQLiteStoragePlugin(StoragePluginBase):  # type: ignore[misc]
    def __init__(self, bot_config: Any) -> None:
        super().__init__(bot_config)
        path = Path(bot_config.BOT_DATA_DIR) / "errbot.sqlite"
        # Autocommit: each statement its own transaction, as errbot expects `set` to be durable.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS store (namespace TEXT, key TEXT, value BLOB, "
                        "PRIMARY KEY (namespace, key))")  # fmt: skip
        self.lock = threading.Lock()

    def open(self, namespace: str) -> StorageBase:
        return SQLiteStorage(self.db, self.lock, namespace)
