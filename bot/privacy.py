"""The student-data guard: keep national identity numbers out of the chat and the database.

A Norwegian fødselsnummer is 11 digits: DDMMYY + a three-digit individual number + two check
digits (mod 11). A D-number raises the day by 40, an H-number the month by 40. Only numbers whose
date (in the century the individual number gives) and both check digits are valid are refused,
so phone numbers, dates and ids rarely trip the guard.

People write these numbers in many ways, and a number that slips past is stored, so the guard
reads text the way a person would: any decimal digit (full-width, other scripts, superscripts),
percent-encoded characters in links, invisible characters ignored, and digit groups joined by up
to three separators (every space, every dash, dots, slashes, underscores, markdown marks). A
number is written in at most five groups or digit by digit; more groups, or groups that run on
with the same separator, are a row of small numbers. `tests/test_privacy.py` measures both sides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

NUMBER_LENGTH = 11
# Digit groups further apart than this are read as separate numbers.
SEPARATOR_RUN_MAX = 3
GROUPS_MAX = 5
_SEPARATORS = frozenset("./\\_·•‧∙⁄∕−⁃*~`\u2800\u3164\uffa0")
_DIGITS = frozenset("0123456789")
# Stretches of text a number could be in: runs of plain letters and punctuation that always end a
# number are skipped without a closer look (percent-encoded characters are kept whole).
_SEGMENT = re.compile(r"(?:%[0-9A-Fa-f]{2}|[^A-Za-z,;:!?()\[\]{}<>=&#@+|\"'])+")
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int | None:
    rest = 11 - sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    if rest == 11:
        return 0
    if rest == 10:
        return None
    return rest


def _birth_year(yy: int, individual: int) -> int | None:
    """The century follows from the individual number (Skatteetaten's allocation)."""
    if individual < 500:
        return 1900 + yy
    if individual < 750 and yy >= 54:
        return 1800 + yy
    if yy < 40:
        return 2000 + yy
    if individual >= 900:
        return 1900 + yy
    return None


def is_identity_number(number: str) -> bool:
    """True for a valid fødselsnummer, D-number or H-number (11 digits, valid date and check digits)."""
    if len(number) != NUMBER_LENGTH or not number.isascii() or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    day, month = int(number[0:2]), int(number[2:4])
    if day > 40:  # D-number
        day -= 40
    if month > 40:  # H-number
        month -= 40
    year = _birth_year(int(number[4:6]), int(number[6:9]))
    if year is None:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return _check_digit(digits[:9], _W1) == digits[9] and _check_digit(digits[:10], _W2) == digits[10]


@dataclass
class _Group:
    digits: str
    start: int
    end: int
    gap: str | None  # the separators before it; None after anything that ends a number


@lru_cache(maxsize=4096)
def _reading(ch: str) -> str:
    """How the guard reads a character: its digit ("0"-"9"), the character itself for a separator,
    "" for one that does not show (zero-width, soft hyphen, combining marks), "x" for the rest."""
    value = unicodedata.digit(ch, None)
    if value is not None:
        return str(value)
    category = unicodedata.category(ch)
    if category in ("Cf", "Mn", "Me"):
        return ""
    if ch.isspace() or category == "Pd" or ch in _SEPARATORS or unicodedata.normalize("NFKC", ch) in _SEPARATORS:
        return ch
    return "x"


def _readings(text: str) -> Iterator[tuple[str, int, int]]:
    """Each character's reading and place, with percent-encoded runs (links) decoded in place."""
    position = 0
    for match in _PERCENT_RUN.finditer(text):
        for i in range(position, match.start()):
            yield _reading(text[i]), i, i + 1
        decoded = bytes.fromhex(match.group().replace("%", "")).decode("utf-8", errors="replace")
        for ch in decoded:
            yield _reading(ch), match.start(), match.end()
        position = match.end()
    for i in range(position, len(text)):
        yield _reading(text[i]), i, i + 1


def _groups(text: str) -> list[_Group]:
    """The runs of digits in `text`, each with the separators that come before it."""
    groups: list[_Group] = []
    gap: str | None = None
    current: _Group | None = None
    for reading, start, end in _readings(text):
        if not reading:
            continue
        if reading in _DIGITS:
            if current is None:
                current = _Group("", start, end, gap)
                groups.append(current)
            current.digits += reading
            current.end = end
            gap = ""
        elif reading == "x":
            current, gap = None, None
        else:
            current = None
            gap = None if gap is None else gap + reading
    return groups


def _looks_like_bank_account(groups: list[_Group]) -> bool:
    """`1234.56.78903` or `1234 56 78903`: the way Norwegian account numbers are written."""
    lengths = [len(g.digits) for g in groups]
    gaps = {g.gap for g in groups[1:]}
    return lengths == [4, 2, 5] and gaps in ({"."}, {" "})


def _spans(text: str) -> list[tuple[int, int]]:
    """Where the identity numbers are in `text`, however they are laid out."""
    if sum(map(str.isdigit, text)) < NUMBER_LENGTH:  # fast path: most texts have few digits
        return []
    found: list[tuple[int, int]] = []
    for segment in _SEGMENT.finditer(text):
        if sum(map(str.isdigit, segment.group())) >= NUMBER_LENGTH:
            found.extend((segment.start() + a, segment.start() + b) for a, b in _spans_in(segment.group()))
    return found


def _spans_in(text: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    groups = _groups(text)
    for first in range(len(groups)):
        length = 0
        for last in range(first, len(groups)):
            group = groups[last]
            if last > first and not _joined(group):
                break
            length += len(group.digits)
            if length >= NUMBER_LENGTH:
                chosen = groups[first : last + 1]
                after = groups[last + 1] if last + 1 < len(groups) else None
                number = "".join(g.digits for g in chosen)
                if length == NUMBER_LENGTH and _laid_out_as_one_number(chosen, after) and is_identity_number(number):
                    found.append((groups[first].start, group.end))
                break
    return found


def _joined(group: _Group) -> bool:
    """Whether a group continues the one before it (only a few separators in between)."""
    return group.gap is not None and len(group.gap) <= SEPARATOR_RUN_MAX


def _laid_out_as_one_number(groups: list[_Group], after: _Group | None) -> bool:
    """People split a number into at most five groups (2-2-2-3-2), or write it digit by digit.
    Groups that run on with the same separator on either side are a row of small numbers
    (scores, minutes, grades), not one number; a list of numbers one per line still counts."""
    if _looks_like_bank_account(groups):
        return False
    if len(groups) <= 2:
        return True
    if GROUPS_MAX < len(groups) < NUMBER_LENGTH:
        return False
    inner = {g.gap for g in groups[1:]}
    return not any(g is not None and _joined(g) and g.gap in inner for g in (groups[0], after))


def find_identity_numbers(text: str) -> list[str]:
    """The identity numbers in `text`, each as it was written (separators included)."""
    return [text[start:end] for start, end in _spans(text)]


def contains_identity_number(*texts: str) -> bool:
    return any(_spans(t) for t in texts if t)


def mask_identity_numbers(text: str) -> str:
    """`text` with each identity number's characters replaced by dots, to give the text back safely."""
    for start, end in reversed(_spans(text)):
        text = text[:start] + "•" * (end - start) + text[end:]
    return text
