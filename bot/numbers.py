"""Item numbers as people type them after a command ("12", "#12", "12."), never one a database
id column cannot hold: a longer run of digits is no number, and gets the usual "which one?"."""

from __future__ import annotations

MAX_DIGITS = 9  # below 2**31, the largest value of a PostgreSQL integer


def leading_number(text: str) -> tuple[int | None, str]:
    """The number at the start of `text`, and the rest; (None, the whole text) when it has none."""
    first, _, rest = text.strip().partition(" ")
    word = first.lstrip("#").rstrip(".")
    if word.isdigit() and len(word) <= MAX_DIGITS:
        return int(word), rest.strip()
    return None, text.strip()
