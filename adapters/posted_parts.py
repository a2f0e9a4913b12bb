"""The parts of a split message a platform already has, so that a retry continues where it stopped.

A long message goes out as several platform messages. When an attempt fails part-way, the ids of
the parts that went out are kept under the message's fingerprint; the outbox's retry of the same
message to the same place finds them and posts only the rest, instead of repeating the first parts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bot.adapter import Destination
from bot.messages import Message

# Attempts that failed part-way and were never retried are forgotten beyond this many.
MOST_KEPT = 500


def fingerprint(destination: Destination, message: Message) -> str:
    """The same message to the same place: what a retry of a send is known by."""
    identity = destination.describe() + json.dumps(message.to_dict(), sort_keys=True)
    return hashlib.sha256(identity.encode()).hexdigest()


def _always(_error: BaseException) -> bool:
    return True


class PostedParts:
    def __init__(self) -> None:
        self._kept: dict[str, list[str]] = {}

    @contextmanager
    def resume(self, fingerprint: str, *, keep: Callable[[BaseException], bool] = _always) -> Iterator[list[str]]:
        """The ids of the parts an earlier, failed attempt posted (empty on a first attempt); the
        block adds the id of each part it posts. If the block fails and `keep` says the error is
        one to retry, what was posted is kept for the next attempt.

        Only attempts that failed part-way are kept, never one still sending: a send waiting its
        turn in a busy channel must find its entry when it is done."""
        done = self._kept.pop(fingerprint, [])
        try:
            yield done
        except BaseException as error:
            if done and keep(error):
                self._kept[fingerprint] = done
                while len(self._kept) > MOST_KEPT:
                    self._kept.pop(next(iter(self._kept)))
            raise
