"""Item numbers as people type them after a command ("12", "#12", "12."), never one a database
id column cannot hold: a longer run of digits is no number, and gets the usual "which one?".

Only the digits 0-9 count. Python's `str.isdigit()` also says yes to "¹" and "١", which `int()`
then refuses or reads as a number nobody meant: such text is no number either."""

from __future__ import annotations

MAX_DIGITS = 9  # below 2**31, the largest value of a PostgreSQL integer


def parse_id(word: str) -> int | None:
    """`word` as an item or database id, or None when it is not one ("#12" and "12." count)."""
    word = word.strip().lstrip("#").rstrip(".")
    if word.isascii() and word.isdigit() and len(word) <= MAX_DIGITS:
        return int(word)
    return None


def leading_number(text: str) -> tuple[int | None, str]:
    """The number at the start of `text`, and the rest; (None, the whole text) when it has none."""
    first, _, rest = text.strip().partition(" ")
    number = parse_id(first)
    if number is not None:
        return number, rest.strip()
    return None, text.strip()
