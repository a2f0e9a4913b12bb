"""A retry of a split message continues with the parts the platform does not have yet (adapters/posted_parts.py)."""

from __future__ import annotations

import pytest

from adapters.posted_parts import MOST_KEPT, PostedParts, fingerprint
from bot.adapter import Destination
from bot.events import Conversation
from bot.messages import Message

GENERAL = Destination.channel(Conversation("slack", "T1", "C1"))


def retryable(error: BaseException) -> bool:
    return not isinstance(error, KeyError)


def attempt(parts: PostedParts, key: str, posted: list[str], fail: Exception | None = None) -> list[str]:
    """Post those of "p0", "p1", "p2" not posted yet; with `fail`, fail after the first of them."""
    with parts.resume(key, keep=retryable) as done:
        for index in range(len(done), 3):
            done.append(f"p{index}")
            posted.append(f"p{index}")
            if fail is not None:
                raise fail
    return done


def test_a_retry_posts_only_the_parts_the_failed_attempt_did_not() -> None:
    parts, posted = PostedParts(), []
    with pytest.raises(TimeoutError):
        attempt(parts, "m", posted, TimeoutError())
    assert attempt(parts, "m", posted) == ["p0", "p1", "p2"]
    assert posted == ["p0", "p1", "p2"]
    assert attempt(parts, "m", posted) == ["p0", "p1", "p2"] and len(posted) == 6, "a new send starts again"


def test_an_error_not_to_retry_keeps_nothing() -> None:
    parts, posted = PostedParts(), []
    with pytest.raises(KeyError):
        attempt(parts, "m", posted, KeyError())
    attempt(parts, "m", posted)
    assert posted == ["p0", "p0", "p1", "p2"]


def test_attempts_never_retried_are_forgotten_beyond_a_limit() -> None:
    parts: PostedParts = PostedParts()
    for n in range(MOST_KEPT + 1):
        with pytest.raises(TimeoutError):
            attempt(parts, str(n), [], TimeoutError())
    assert attempt(parts, "0", []) == ["p0", "p1", "p2"]  # the oldest was forgotten: all again
    posted: list[str] = []
    attempt(parts, str(MOST_KEPT), posted)
    assert posted == ["p1", "p2"]


def test_the_same_message_to_another_place_is_another_send() -> None:
    other = Destination.channel(Conversation("slack", "T1", "C2"))
    assert fingerprint(GENERAL, Message.text("hei")) == fingerprint(GENERAL, Message.text("hei"))
    assert fingerprint(GENERAL, Message.text("hei")) != fingerprint(other, Message.text("hei"))
    assert fingerprint(GENERAL, Message.text("hei")) != fingerprint(GENERAL, Message.text("hallo"))
