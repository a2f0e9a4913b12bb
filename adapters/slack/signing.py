"""Slack's request signatures, checked before slack-bolt sees a request.

slack-bolt checks them too, but logs the whole body of every request that fails (at INFO): a late
genuine request with what a member wrote in it, or a megabyte of anyone's junk per unsigned post.
Checked here first, such a request is answered 401 without its body being parsed or logged; the
log says only how many were refused, at most once a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

REPORT_EVERY = 60.0


class SignatureCheck:
    def __init__(self, signing_secret: str) -> None:
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._refused = 0
        self._reported_at = 0.0

    def accepts(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """True for a request Slack signed within the last five minutes."""
        ok = self._valid(body, headers)
        if not ok:
            self._count_refusal(len(body))
        return ok

    def _valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        if self._verifier is None:  # Socket Mode: events come over the socket, none over HTTP
            return False
        try:
            return self._verifier.is_valid(
                body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
            )
        except ValueError:  # a timestamp that is not a number
            return False

    def _count_refusal(self, size: int) -> None:
        self._refused += 1
        now = time.monotonic()
        if now - self._reported_at >= REPORT_EVERY:
            log.warning(
                "slack: refused %d request(s) with a missing, wrong or stale signature (the last %d bytes); "
                "if Slack's own requests are refused, check SLACK_SIGNING_SECRET and the clock",
                self._refused, size,
            )  # fmt: skip
            self._refused, self._reported_at = 0, now
