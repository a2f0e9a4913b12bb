"""Logging: what reaches the log, and what never does.

samskap logs what happened (the kind of event, a command's name, the database's own ids, a workspace
id, timings), never what members wrote, their names or their platform ids, and never a secret.

The libraries under it are chattier. At DEBUG, slack_sdk logs whole requests and responses (an OAuth
install's bot token among them), discord.py whole gateway events, aiosqlite every statement with its
parameters, SQLAlchemy the same at INFO. They are held at INFO (SQLAlchemy at WARNING) whatever level
samskap itself logs at: `SAMSKAP_LOG_LEVEL=DEBUG` is samskap's own detail.

`Redact`, the handler's formatter, is the last safety net for what still slips through (an exception's
message): it blanks the secrets it was given, token-shaped strings, identity numbers, and the argument
values asyncpg quotes in its errors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from bot.privacy import find_identity_numbers

LIBRARY_LEVELS = {
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "discord": logging.INFO,
    "aiohttp": logging.INFO,
    "websockets": logging.INFO,
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "sqlalchemy": logging.WARNING,
    "alembic": logging.INFO,
    "apscheduler": logging.WARNING,
    # "skipped: maximum number of running instances reached": the tick before is still at work (a
    # digest fan-out), which is how a busy worker is meant to run, not a fault; said every tick.
    "apscheduler.scheduler": logging.ERROR,
}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "***"

_TOKEN_SHAPES = re.compile(
    r"xox[a-z]-[A-Za-z0-9-]+"  # Slack bot, user and refresh tokens
    r"|xapp-[A-Za-z0-9-]+"  # Slack app-level tokens (Socket Mode)
    r"|[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"  # Discord bot tokens
    r"|(?<=Bearer )[^\s'\"]+|(?<=Bot )[A-Za-z0-9._-]{30,}"  # Authorization headers
    r"|(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"  # user:password in a URL
    r"|(?<=/webhooks/)(\d+/)[A-Za-z0-9_.-]{20,}"  # Discord interaction tokens in follow-up URLs
    r"|(?<=/interactions/)(\d+/)[A-Za-z0-9_.-]{20,}"
)
# asyncpg: "invalid input for query argument $2: 'what the member wrote' (expected int)". The value
# may hold " (" itself, so the rest of the line goes.
_QUERY_ARGUMENT = re.compile(r"(query argument \$\d+: ).*")


class Redact(logging.Formatter):
    """Formats a record (a text line, or with `json_lines` one JSON object), then blanks secrets and
    personal data in it (see the module doc).

    A formatter rather than a filter: the record itself stays as it was for any other handler."""

    def __init__(self, secrets: Iterable[str] = (), fmt: str = FORMAT, *, json_lines: bool = False) -> None:
        super().__init__(fmt)
        # Event fields given with `extra=` (feature, platform, kind, duration_ms) become keys of their own.
        self.json = JsonFormatter(
            ["asctime", "levelname", "name", "message"],
            rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        ) if json_lines else None  # fmt: skip
        # Longest first, so that a secret containing another is blanked whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self.secrets:
            text = text.replace(value, HIDDEN)
        text = _TOKEN_SHAPES.sub(lambda m: (m.group(1) or m.group(2) or "") + HIDDEN, text)
        text = _QUERY_ARGUMENT.sub(lambda m: m.group(1) + HIDDEN, text)
        for number in find_identity_numbers(text):
            text = text.replace(number, HIDDEN)
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self.json.format(record) if self.json else super().format(record))


def scrub_exception(error: BaseException | None) -> None:
    """Take the values of a row out of a database error and the errors it caused, before the error is
    logged: PostgreSQL's DETAIL ("Failing row contains (…)", "Key (name)=(…) already exists") and the
    argument asyncpg quotes ("invalid input for query argument $1: '…'"). SQLAlchemy's own part is
    already without values (the engine has hide_parameters)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if getattr(error, "detail", None) and type(error).__module__.startswith("asyncpg"):
            error.detail = None  # type: ignore[attr-defined]
        if error.args and isinstance(error.args[0], str) and "query argument $" in error.args[0]:
            error.args = (_QUERY_ARGUMENT.sub(lambda m: m.group(1) + HIDDEN, error.args[0]),
                          *error.args[1:])  # fmt: skip
        error = error.__cause__ or error.__context__


def _scrubbing(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if record.exc_info and record.exc_info[1] is not None:
            scrub_exception(record.exc_info[1])
        return record

    make_record.samskap = True  # type: ignore[attr-defined]
    return make_record


def scrub_logged_exceptions() -> None:
    """Every record, of every logger, has its exception scrubbed (`scrub_exception`) when it is made."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "samskap", False):
        logging.setLogRecordFactory(_scrubbing(factory))


def hold_back_libraries() -> None:
    """Keep the libraries' DEBUG chatter (whole payloads, SQL parameters, tokens) out of any log."""
    for name, floor in LIBRARY_LEVELS.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < floor:
            logger.setLevel(floor)


def configure_logging(level: str, secrets: Iterable[str] = (), log_format: str = "text") -> None:
    """Log to stderr at `level`, as text lines or JSON lines (`log_format`); the libraries no lower
    than `LIBRARY_LEVELS`; secrets blanked."""
    root = logging.getLogger()
    root.setLevel(getattr(logging, level.upper()) if level.upper() in LEVELS else logging.INFO)
    handler = logging.StreamHandler()
    handler.setFormatter(Redact(secrets, json_lines=log_format == "json"))
    root.handlers = [h for h in root.handlers if not getattr(h, "samskap", False)]
    handler.samskap = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    hold_back_libraries()
    scrub_logged_exceptions()
