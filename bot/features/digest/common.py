"""What the digest's parts share: its settings' names, its limits, and the error a member can fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.errors import UserError
from bot.features.digest.fetch import Fetcher

DEFAULT_CRON = "0 8 * * mon"
CAPTURE_SETTING = "lenkefangst"
DM_OPTION = "nettverksbrev"
MAX_COMMENT = 500
MAX_FEEDS = 20
FIRST_IMPORT = timedelta(days=14)
FETCH_BATCH = 256
REDELIVER_AFTER = timedelta(minutes=10)
# Weeks done ahead of time (skipped, or published early) that the next send time looks past.
MAX_WEEKS_AHEAD = 8

# The one way the digest fetches pages and feeds (tests point its address policy at loopback).
FetcherFactory = Callable[[], Fetcher]


class DigestProblem(UserError):
    """Something the user can fix; `msgid` is English, translated by the handler."""
