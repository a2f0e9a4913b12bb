"""The command line: config check, db upgrade and refusing to start with a bad configuration."""

import sqlite3

import pytest

from adapters.cli import main


def test_config_check_says_fine_or_lists_problems(tmp_path, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAMSKAP_ADAPTER", raising=False)
    assert main(["config", "check"]) == 0
    assert "The configuration is fine" in capsys.readouterr().out
    (tmp_path / "bad.toml").write_text('timezone = "Mars/Olympus"\nadapter = "discord"\n', encoding="utf-8")
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert main(["--config", "bad.toml", "config", "check"]) == 1
    out = capsys.readouterr().out
    assert "Mars/Olympus" in out and "DISCORD_BOT_TOKEN" in out


def test_db_upgrade_creates_every_table(tmp_path, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SAMSKAP_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["db", "upgrade"]) == 0
    with sqlite3.connect(tmp_path / "x.db") as conn:
        tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    assert {"networks", "members", "practice_ideas", "scheduled_jobs", "deliveries", "kv_sessions"} <= tables


def test_run_refuses_to_start_without_the_platforms_token(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run", "--adapter", "slack"]) == 1
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
