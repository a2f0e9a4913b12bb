"""The student-data guard: keep national identity numbers out of the chat and the database.

A Norwegian fødselsnummer (and a D-number, whose first digit is raised by 4) is 11 digits:
DDMMYY + individual number + two check digits (mod 11). Only numbers whose date and both check
digits are valid are refused, so phone numbers and ids rarely trip the guard.
"""

from __future__ import annotations

import re
from datetime import date

_CANDIDATE = re.compile(r"(?<!\d)(\d{6})[ .-]?(\d{5})(?!\d)")
_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int | None:
    rest = 11 - sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    if rest == 11:
        return 0
    if rest == 10:
        return None
    return rest


def is_identity_number(number: str) -> bool:
    """True for a valid fødselsnummer or D-number (11 digits, valid date and check digits)."""
    if len(number) != 11 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    day, month = int(number[0:2]), int(number[2:4])
    if day > 40:  # D-number
        day -= 40
    if month > 40:  # synthetic test numbers (Skatteetaten's "syntetiske" numbers) add 80 or 40
        month -= 80 if month > 80 else 40
    try:
        date(2000 + int(number[4:6]), month, day)
    except ValueError:
        # 29 February in a non-leap year 20xx may still be valid in 19xx
        try:
            date(1900 + int(number[4:6]), month, day)
        except ValueError:
            return False
    k1 = _check_digit(digits[:9], _W1)
    if k1 is None or k1 != digits[9]:
        return False
    k2 = _check_digit(digits[:10], _W2)
    return k2 is not None and k2 == digits[10]


def find_identity_numbers(text: str) -> list[str]:
    return [m.group(0) for m in _CANDIDATE.finditer(text) if is_identity_number(m.group(1) + m.group(2))]


def contains_identity_number(*texts: str) -> bool:
    return any(find_identity_numbers(t) for t in texts if t)
