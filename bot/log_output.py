"""How samskap writes its log: plain text lines by default, or one JSON object per line
(`SAMSKAP_LOG_FORMAT=json`) for a log collector; and quiet when idle.

The libraries' chatter at INFO (APScheduler's "Running job …" every second) is held back to
warnings, so an idle bot writes nothing after start-up.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that speak at INFO about routine work: only their warnings and errors are kept.
ROUTINE_LOGGERS = ("apscheduler", "aiohttp.access", "alembic.runtime.migration")


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        # Event fields given with `extra=` (feature, platform, kind, duration_ms) become keys of their own.
        return JsonFormatter(
            ["asctime", "levelname", "name", "message"],
            rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for name in ROUTINE_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
