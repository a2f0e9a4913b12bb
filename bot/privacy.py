"""The student-data guard: keep national identity numbers out of the chat and the database.

A Norwegian fødselsnummer is 11 digits: DDMMYY + a three-digit individual number + two check
digits (mod 11). A D-number raises the day by 40, an H-number the month by 40. Only numbers whose
date (in the century the individual number gives) and both check digits are valid are refused,
so phone numbers, dates and ids rarely trip the guard.

People write these numbers in many ways, and a number that slips past is stored, so the guard
reads text the way a person would: any decimal digit (full-width, other scripts, superscripts),
percent-encoded characters in links, invisible characters ignored, and digit groups joined by up
to three separators (every space, every dash, dots, slashes, underscores, markdown marks).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

NUMBER_LENGTH = 11
# Digit groups further apart than this are read as separate numbers.
SEPARATOR_RUN_MAX = 3
_SEPARATORS = frozenset("./\\_·•‧∙⁄∕−⁃*~`\u2800\u3164\uffa0")
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


@dataclass(frozen=True)
class _Token:
    """One character as the guard reads it: a digit, a separator or anything else."""

    kind: str  # "digit", "separator" or "other"
    char: str  # the digit ("0"-"9") or the separator
    start: int  # its place in the original text (a percent-encoded run covers several characters)
    end: int


@dataclass
class _Group:
    digits: str
    start: int
    end: int
    gap: str | None  # the separators before it; None after anything that ends a number


def _classify(ch: str, start: int, end: int) -> _Token | None:
    """None for characters that do not show (zero-width, soft hyphen, combining marks)."""
    value = unicodedata.digit(ch, None)
    if value is not None:
        return _Token("digit", str(value), start, end)
    category = unicodedata.category(ch)
    if category in ("Cf", "Mn", "Me"):
        return None
    if ch.isspace() or category == "Pd" or ch in _SEPARATORS or unicodedata.normalize("NFKC", ch) in _SEPARATORS:
        return _Token("separator", ch, start, end)
    return _Token("other", "", start, end)


def _tokens(text: str) -> list[_Token]:
    """The text's characters, with percent-encoded runs (links) decoded in place."""
    tokens: list[_Token] = []
    position = 0
    for match in _PERCENT_RUN.finditer(text):
        tokens.extend(_plain_tokens(text, position, match.start()))
        decoded = bytes.fromhex(match.group().replace("%", "")).decode("utf-8", errors="replace")
        tokens.extend(t for ch in decoded if (t := _classify(ch, match.start(), match.end())) is not None)
        position = match.end()
    tokens.extend(_plain_tokens(text, position, len(text)))
    return tokens


def _plain_tokens(text: str, start: int, end: int) -> list[_Token]:
    return [t for i in range(start, end) if (t := _classify(text[i], i, i + 1)) is not None]


def _groups(tokens: list[_Token]) -> list[_Group]:
    groups: list[_Group] = []
    gap: str | None = None
    current: _Group | None = None
    for token in tokens:
        if token.kind == "digit":
            if current is None:
                current = _Group("", token.start, token.end, gap)
                groups.append(current)
            current.digits += token.char
            current.end = token.end
            gap = ""
        elif token.kind == "separator":
            current = None
            gap = None if gap is None else gap + token.char
        else:
            current, gap = None, None
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
    groups = _groups(_tokens(text))
    for first in range(len(groups)):
        length = 0
        for last in range(first, len(groups)):
            group = groups[last]
            if last > first and (group.gap is None or len(group.gap) > SEPARATOR_RUN_MAX):
                break
            length += len(group.digits)
            if length >= NUMBER_LENGTH:
                chosen = groups[first : last + 1]
                number = "".join(g.digits for g in chosen)
                if length == NUMBER_LENGTH and is_identity_number(number) and not _looks_like_bank_account(chosen):
                    found.append((groups[first].start, group.end))
                break
    return found


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
