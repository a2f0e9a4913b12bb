"""The command line: config check, db upgrade and refusing to start with a bad configuration."""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from adapters.cli import main


def test_config_check_says_fine_or_lists_problems(tmp_path, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAMSKAP_ADAPTER", raising=False)
    assert main(["config", "check"]) == 0
    assert "The configuration is fine" in capsys.readouterr().out
    (tmp_path / "bad.toml").write_text('timezone = "Mars/Olympus"\nadapter = "discord"\n', encoding="utf-8")
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert main(["--config", "bad.toml", "config", "check"]) == 2
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
    assert main(["run", "--adapter", "slack"]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err


# -- a configuration samskap cannot run with: one clear line, exit code 2, no traceback ------------

ENV_PREFIXES = ("SAMSKAP_", "SLACK_", "DISCORD_")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the working directory, and none of samskap's variables set."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)
    return tmp_path


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run `samskap run` (or `argv`), expect exit code 2, and return its one line."""
    assert main(list(argv or ["run"])) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert "Traceback" not in captured.err + captured.out
    assert len(lines) == 1, lines
    assert lines[0].startswith("samskap cannot start: ")
    return lines[0]


def checked(capsys: pytest.CaptureFixture[str]) -> str:
    """`samskap config check` finds the same problem before `run` would."""
    assert main(["config", "check"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("Problems in the configuration:") and "Traceback" not in out
    return out


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('language = "nb"\ntimezone = "Europe/Oslo\n', "is not valid TOML"),
        ('[slack]\nclient_id = "1.2"\n[slak]\nport = 3000\n', "Unknown section [slak]"),
        ("[digest]\nallow_private_adresses = true\n", "Unknown setting 'allow_private_adresses' in [digest]"),
        ('tidssone = "Europe/Oslo"\n', "Unknown setting 'tidssone'"),
        ('timezone = "Europe"\n', "Time zone 'Europe' is unknown"),
        ("timezone = 1\n", "timezone must be text"),
        ('log_level = "verbose"\n', "Log level 'verbose' is unknown"),
    ],
)
def test_a_bad_configuration_file_is_one_clear_line_and_exit_code_2(
    clean_env: Path, capsys: pytest.CaptureFixture[str], toml: str, words: str
) -> None:
    (clean_env / "samskap.toml").write_text(toml, encoding="utf-8")
    assert words in refused(capsys)
    assert words in checked(capsys)


def test_an_unreadable_secret_file_is_named(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAMSKAP_ADAPTER", "discord")
    monkeypatch.setenv("DISCORD_BOT_TOKEN_FILE", str(clean_env))  # a folder
    assert f"DISCORD_BOT_TOKEN_FILE names {clean_env}, which is a folder" in refused(capsys)
    monkeypatch.setenv("DISCORD_BOT_TOKEN_FILE", str(clean_env / "missing"))
    assert "which does not exist" in refused(capsys)
    assert "DISCORD_BOT_TOKEN_FILE" in checked(capsys)


def test_a_slack_client_id_without_its_secret_is_named(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    assert "SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not" in refused(capsys, "run", "--adapter", "slack")


def test_a_secret_key_that_is_not_a_fernet_key_is_named(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAMSKAP_SECRET_KEY", f"{Fernet.generate_key().decode()},not-a-key")
    line = refused(capsys)
    assert "SAMSKAP_SECRET_KEY must be one or more Fernet keys" in line and "not-a-key" not in line


def test_an_unreachable_database_is_one_clear_line(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAMSKAP_DATABASE_URL", "postgresql://samskap:hunter2pw@127.0.0.1:1/samskap")
    line = refused(capsys)
    assert "Cannot use the database at postgresql://samskap:***@127.0.0.1:1/samskap" in line
    assert "refused" in line and "hunter2pw" not in line
    assert "refused" in refused(capsys, "db", "upgrade")
    assert "refused" in checked(capsys)


def test_a_read_only_sqlite_database_is_one_clear_line(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite3.connect(clean_env / "ro.db").execute("CREATE TABLE t (x)").connection.close()
    # SQLite itself opens the file read-only: what a read-only mount or file looks like to it.
    monkeypatch.setenv("SAMSKAP_DATABASE_URL", f"sqlite:///file:{clean_env / 'ro.db'}?mode=ro&uri=true")
    assert "the database is read-only" in refused(capsys)
    monkeypatch.setenv("SAMSKAP_DATABASE_URL", f"sqlite:///{clean_env / 'no-such-folder' / 'x.db'}")
    assert "does not exist" in refused(capsys, "db", "upgrade")


def _as_nobody() -> list[str]:
    """Permissions mean nothing to root: run the command as `nobody` then."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("needs setpriv to drop root's privileges")
    # `nobody` must be able to reach this virtualenv, or the command would run without its packages.
    closed = [p for p in Path(sys.prefix).parents if p != Path("/") and not os.stat(p).st_mode & 0o001]
    if closed:
        pytest.skip(f"nobody cannot enter {closed[0]}, where this virtualenv lives")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_sqlite_file_or_folder_stops_the_real_command(read_only: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="samskap-ro-"))
    try:
        database = folder / "samskap.db"
        sqlite3.connect(database).execute("CREATE TABLE t (x)").connection.close()
        database.chmod(0o444 if read_only == "file" else 0o666)
        folder.chmod(0o777 if read_only == "file" else 0o555)
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        env["SAMSKAP_DATABASE_URL"] = f"sqlite:///{database}"
        done = subprocess.run(
            [*_as_nobody(), sys.executable, "-m", "adapters.cli", "run"],
            cwd=Path(__file__).parent.parent, env=env, capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        [line] = done.stderr.splitlines()
        assert "read-only" in line and str(database.parent) in line
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
