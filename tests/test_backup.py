"""`samskap db backup`: a consistent copy of the embedded database, also while the bot writes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from adapters.memory import Chat
from storage.backup import BackupError, backup_sqlite


async def test_a_backup_taken_while_members_write_holds_every_committed_idea(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'samskap.db'}"
    chat = await Chat.start(url)
    try:
        await chat.say("kari", "/samskap bli-med Nordby skole")
        for n in range(20):
            await chat.say("kari", f"/ide Idé nummer {n}")
        writing = asyncio.gather(*(chat.say("kari", f"/ide Under kopieringen {n}") for n in range(20)))
        copy = await asyncio.to_thread(backup_sqlite, url, tmp_path / "backup.db")
        await writing
    finally:
        await chat.close()
    with sqlite3.connect(copy) as db:
        count = db.execute("SELECT count(*) FROM practice_ideas").fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert 20 <= count <= 40  # every idea committed before the copy began, and nothing half-written


def test_a_backup_never_overwrites_and_says_why_it_cannot_run(tmp_path: Path) -> None:
    existing = tmp_path / "old.db"
    existing.write_text("an earlier backup")
    sqlite3.connect(tmp_path / "live.db").close()
    with pytest.raises(BackupError, match="exists already"):
        backup_sqlite(f"sqlite:///{tmp_path / 'live.db'}", existing)
    assert existing.read_text() == "an earlier backup"
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite("postgresql://postgres@127.0.0.1/test", tmp_path / "x.db")
    with pytest.raises(BackupError, match="no database"):
        backup_sqlite(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "y.db")


def test_the_command_line_backs_up_and_names_its_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from adapters.cli import main

    url = f"sqlite:///{tmp_path / 'live.db'}"
    import os

    os.environ["SAMSKAP_DATABASE_URL"] = url
    try:
        assert main(["db", "upgrade"]) == 0
        assert main(["db", "backup", str(tmp_path / "copy.db")]) == 0
        assert (tmp_path / "copy.db").exists() and "copied to" in capsys.readouterr().out
        assert main(["db", "backup", str(tmp_path / "copy.db")]) == 2  # never overwrites
        assert "exists already" in capsys.readouterr().err
    finally:
        del os.environ["SAMSKAP_DATABASE_URL"]
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"samskap {version('samskap')}"
