"""The identity-number guard, measured on a generated corpus with python-stdnum as the oracle.

`python -m pytest tests/test_privacy.py -k corpus -s` prints the measured recall per layout and the
false-positive rate on realistic negatives.
"""

from __future__ import annotations

import random
import sys
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from stdnum.no import fodselsnummer

from bot.privacy import contains_identity_number, find_identity_numbers, is_identity_number, mask_identity_numbers

# Synthetic, published test numbers (not real people): a fødselsnummer and a D-number.
VALID_FNR = "01010012356"
VALID_DNR = "41010012355"

RECALL_REQUIRED = 0.999
FALSE_POSITIVES_ALLOWED = 0.001
PER_LAYOUT = 1000
NEGATIVES_PER_KIND = 2000

SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
DASHES = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Pd"] + ["\u2212"]
SLASHES = ["/", "\\", "\u2044", "\u2215", "\uff0f"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u200e", "\u200f"]
SIMPLE = [" ", ".", "-", "/", "\u00a0", "\u2013"]
EVERY_SEPARATOR = SPACES + DASHES + SLASHES + [".", "_", "·", "•"]
DIGIT_FORMS = [0xFF10, 0x1D7CE, 0x1D7D8, 0x0660, 0x06F0, 0x0966, 0x2080]  # full-width, math, Arabic, subscripts
CONTEXT = [("", ""), ("Eleven har fnr ", "."), ("Fødselsnummer: ", " — husk å sjekke"), ("(", ")"),
           ("Hei! Dette gjelder ", " i 5B, hun trenger hjelp."), ("«", "»")]  # fmt: skip


def _check(first9: str) -> str | None:
    number = first9 + fodselsnummer.calc_check_digit1(first9)
    number += fodselsnummer.calc_check_digit2(number)
    return number if len(number) == 11 else None


def _with_check_digits(first9: str) -> str | None:
    return _check(first9)


def valid_number(rng: random.Random) -> str:
    """A random valid fødselsnummer (80 %), D-number or H-number, checked by python-stdnum."""
    while True:
        born = date(1905, 1, 1) + timedelta(days=rng.randrange((date(2025, 12, 31) - date(1905, 1, 1)).days))
        if born.year >= 2000:
            individual = rng.randrange(500, 1000)
        elif born.year >= 1940 and rng.random() < 0.1:
            individual = rng.randrange(900, 1000)
        else:
            individual = rng.randrange(0, 500)
        day, month = born.day, born.month
        kind = rng.random()
        if kind < 0.1:
            day += 40
        elif kind < 0.2:
            month += 40
        number = _check(f"{day:02d}{month:02d}{born.year % 100:02d}{individual:03d}")
        if number is not None:
            assert fodselsnummer.is_valid(number), number
            return number


def split(number: str, sizes: list[int]) -> list[str]:
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    return parts


def joined(parts: list[str], separators: list[str], rng: random.Random) -> str:
    return parts[0] + "".join(rng.choice(separators) + part for part in parts[1:])


def random_grouping(rng: random.Random) -> list[int]:
    """Two to five groups of any sizes (more groups are read as a row of small numbers)."""
    cuts = sorted(rng.sample(range(1, 11), rng.randint(1, 4)))
    return [b - a for a, b in zip([0, *cuts], [*cuts, 11], strict=True)]


def with_invisible(number: str, rng: random.Random) -> str:
    digits = list(number)
    for _ in range(rng.randint(1, 3)):
        digits.insert(rng.randint(1, len(digits) - 1), rng.choice(ZERO_WIDTH))
    return "".join(digits)


def in_digit_form(number: str, rng: random.Random) -> str:
    zero = rng.choice(DIGIT_FORMS)
    return "".join(chr(zero + int(d)) for d in number)


def mixed(number: str, rng: random.Random) -> str:
    parts = split(number, random_grouping(rng))
    return parts[0] + "".join("".join(rng.choices(EVERY_SEPARATOR, k=rng.randint(1, 3))) + p for p in parts[1:])


def in_url(number: str, rng: random.Random) -> str:
    six, five = number[:6], number[6:]
    return rng.choice([
        f"https://skole.example.no/elev/{number}/rapport",
        f"https://skole.example.no/sok?fnr={six}-{five}&side=2",
        f"https://skole.example.no/elev/{six}%20{five}",
        f"https://skole.example.no/elev/{six}%C2%A0{five}",
        f"<https://skole.example.no/e/{six}/{five}|lenke>",
    ])  # fmt: skip


LAYOUTS: dict[str, Callable[[str, random.Random], str]] = {
    "11 digits": lambda n, rng: n,
    "6-5, every Unicode space": lambda n, rng: joined(split(n, [6, 5]), SPACES, rng),
    "6-5, every Unicode dash": lambda n, rng: joined(split(n, [6, 5]), DASHES, rng),
    "6-5, dot": lambda n, rng: joined(split(n, [6, 5]), ["."], rng),
    "6-5, slashes": lambda n, rng: joined(split(n, [6, 5]), SLASHES, rng),
    "6-5, line break or tab": lambda n, rng: joined(split(n, [6, 5]), ["\n", "\r\n", "\t", "\u2028"], rng),
    "6-5, two or three separators": lambda n, rng: joined(split(n, [6, 5]), ["  ", " - ", " – ", " / ", ". "], rng),
    "2-2-2-5": lambda n, rng: joined(split(n, [2, 2, 2, 5]), SIMPLE, rng),
    "3-3-3-2": lambda n, rng: joined(split(n, [3, 3, 3, 2]), SIMPLE, rng),
    "2-2-2-3-2": lambda n, rng: joined(split(n, [2, 2, 2, 3, 2]), SIMPLE, rng),
    "digit by digit": lambda n, rng: joined(list(n), [" ", "-", "."], rng),
    "zero-width and direction marks inside": with_invisible,
    "mixed separators, two to five groups of any size": mixed,
    "inside words": lambda n, rng: rng.choice(["fnr", "elev", "ID:", "nr."]) + n + rng.choice(["abc", "", "xyz"]),
    "inside URLs": in_url,
    "full-width and other digit forms": in_digit_form,
    "markdown": lambda n, rng: rng.choice([f"*{n[:6]}* {n[6:]}", f"`{n}`", f"~{n[:6]}~ _{n[6:]}_", f"**{n}**"]),
}


def class_list(rng: random.Random) -> tuple[str, int]:
    """Several numbers, one per line, each laid out as 6-5, 2-2-2-5, 3-3-3-2 or 2-2-2-3-2."""
    sizes = rng.choice([[11], [6, 5], [2, 2, 2, 5], [3, 3, 3, 2], [2, 2, 2, 3, 2]])
    separator = rng.choice([" ", ".", "-"])
    count = rng.randint(2, 6)
    lines = [joined(split(valid_number(rng), sizes), [separator], rng) for _ in range(count)]
    return rng.choice(["\n", "\r\n", "\n\n"]).join(lines), count


def recall_by_layout(rng: random.Random) -> dict[str, float]:
    measured = {}
    for name, layout in LAYOUTS.items():
        caught = 0
        for _ in range(PER_LAYOUT):
            before, after = rng.choice(CONTEXT)
            caught += contains_identity_number(before + layout(valid_number(rng), rng) + after)
        measured[name] = caught / PER_LAYOUT
    lists = [class_list(rng) for _ in range(PER_LAYOUT)]
    measured["a class list, one number per line (every number found)"] = (
        sum(len(find_identity_numbers(text)) == count for text, count in lists) / PER_LAYOUT
    )
    return measured


# -- realistic negatives -------------------------------------------------------------------------


def phone(rng: random.Random) -> str:
    number = f"{rng.choice('49')}{rng.randrange(10**7):07d}"
    return rng.choice([
        number, f"{number[:3]} {number[3:5]} {number[5:]}", f"{number[:2]} {number[2:4]} {number[4:6]} {number[6:]}",
        f"+47 {number}", f"+47{number}", f"0047 {number}", f"+47 {number[:3]} {number[3:5]} {number[5:]}",
        f"{number} / {rng.choice('49')}{rng.randrange(10**7):07d}", f"tlf. {number}, mobil {rng.randrange(10**8):08d}",
    ])  # fmt: skip


def a_date(rng: random.Random) -> str:
    day = date(1990, 1, 1) + timedelta(days=rng.randrange(15000))
    other = day + timedelta(days=rng.randrange(1, 60))
    return rng.choice([
        f"{day:%d.%m.%Y}", f"{day:%Y-%m-%d}", f"{day:%d/%m/%y}", f"{day:%d.%m.%Y} kl. {rng.randrange(8, 17)}.30",
        f"{day:%d.%m.%Y}–{other:%d.%m.%Y}", f"{day:%Y-%m-%d}T{rng.randrange(24):02d}:00",
        f"{day:%d.%m.%y} {other:%d.%m.%y}",
        f"{day:%d%m%Y}", f"{day.day}. {day:%m} {day.year}", f"uke {rng.randrange(1, 53)} {day.year}",
    ])  # fmt: skip


BANK_REGISTRY_NUMBERS = [1503, 1506, 1644, 1813, 2050, 3000, 3201, 3624, 4200, 6345, 7874, 8601, 9710, 1207]


def bank_account(rng: random.Random) -> str:
    while True:
        first10 = f"{rng.choice(BANK_REGISTRY_NUMBERS):04d}{rng.randrange(10**6):06d}"
        check = 11 - sum(int(d) * w for d, w in zip(first10, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        if check != 10:
            n = first10 + str(check % 11)
            dotted = f"{n[:4]}.{n[4:6]}.{n[6:]}"
            return rng.choice([dotted, f"{n[:4]} {n[4:6]} {n[6:]}", f"konto {dotted}"])


def organisation_number(rng: random.Random) -> str:
    n = f"{rng.choice('89')}{rng.randrange(10**8):08d}"
    return rng.choice([n, f"{n[:3]} {n[3:6]} {n[6:]}", f"NO {n} MVA", f"org.nr. {n[:3]} {n[3:6]} {n[6:]}"])


def order_number(rng: random.Random) -> str:
    return rng.choice([
        f"Ordre #{rng.randrange(10**6, 10**8)}", f"SO-{rng.randrange(2020, 2027)}-{rng.randrange(10**6):06d}",
        f"Bestilling {rng.randrange(10**8, 10**10)}", f"Faktura {rng.randrange(2020, 2027)}-{rng.randrange(10**5):05d}",
        f"sak {rng.randrange(20, 27)}/{rng.randrange(10**5):05d}", f"KID {rng.randrange(10**9, 10**10)}",
    ])  # fmt: skip


def everyday(rng: random.Random) -> str:
    return rng.choice([
        f"Møte {a_date(rng)} i rom {rng.randrange(100, 400)}, ring {phone(rng)}",
        f"kr {rng.randrange(1, 99)} {rng.randrange(1000):03d},50 for {rng.randrange(2, 30)} elever",
        f"{rng.randrange(1000, 9999):04d} Oslo, {rng.randrange(1, 200)} elever, "
        f"{rng.randrange(2015, 2026)}–{rng.randrange(2026, 2030)}",
        f"ISBN 978-82-{rng.randrange(10**2):02d}-{rng.randrange(10**5):05d}-{rng.randrange(10)}",
        f"Klasse {rng.randrange(1, 11)}B: {rng.randrange(10, 30)} elever, {rng.randrange(10, 99)} % deltok",
    ])  # fmt: skip


def row_of_numbers(rng: random.Random) -> str:
    """Scores, grades, minutes or pages in a row, as teachers write them."""
    top = rng.choice([6, 30, 100, 250])
    separator = rng.choice([" ", "  ", " - ", " / ", "\n", "\t"])
    return rng.choice(["Poeng: ", "Karakterer ", "Minutter lest\n", ""]) + separator.join(
        str(rng.randint(0, top)) for _ in range(rng.randint(4, 24))
    )


NEGATIVES: dict[str, Callable[[random.Random], str]] = {
    "phone numbers": phone,
    "dates": a_date,
    "bank account numbers": bank_account,
    "organisation numbers": organisation_number,
    "order numbers": order_number,
    "everyday numbers": everyday,
    "rows of small numbers": row_of_numbers,
}


def false_positives(rng: random.Random) -> tuple[int, int, list[str]]:
    flagged: list[str] = []
    total = 0
    for make in NEGATIVES.values():
        for _ in range(NEGATIVES_PER_KIND):
            text = make(rng)
            total += 1
            if contains_identity_number(text):
                flagged.append(text)
    return len(flagged), total, flagged


def test_corpus_recall_and_false_positive_rate() -> None:
    rng = random.Random(20261130)
    recall = recall_by_layout(rng)
    overall = sum(recall.values()) / len(recall)
    flagged, total, examples = false_positives(rng)
    print(f"\nidentity-number guard on {PER_LAYOUT} texts in each of {len(recall)} layouts:")
    for name, value in recall.items():
        print(f"  {value:8.2%}  {name}")
    print(f"  recall {overall:.3%}; false positives {flagged}/{total} = {flagged / total:.3%} {examples[:5]}")
    assert len(recall) >= 15
    assert min(recall.values()) >= RECALL_REQUIRED, recall
    assert flagged / total <= FALSE_POSITIVES_ALLOWED, examples


# -- the check itself ------------------------------------------------------------------------------


def test_valid_numbers_are_recognised_in_text() -> None:
    assert is_identity_number(VALID_FNR)
    assert contains_identity_number(f"Eleven har fnr {VALID_FNR[:6]} {VALID_FNR[6:]}.")
    assert is_identity_number(VALID_DNR) == (_with_check_digits(VALID_DNR[:9]) == VALID_DNR)


def test_phone_numbers_and_wrong_check_digits_pass() -> None:
    assert not contains_identity_number("Ring meg på 91234567 eller +47 22 33 44 55")
    assert not is_identity_number("01010012357")
    assert not is_identity_number("32130012356")


def test_a_number_is_masked_as_it_was_written() -> None:
    text = f"Eleven\u00a0{VALID_FNR[:6]}\u2013{VALID_FNR[6:]} og tlf 91234567"
    assert find_identity_numbers(text) == [f"{VALID_FNR[:6]}\u2013{VALID_FNR[6:]}"]
    assert mask_identity_numbers(text) == "Eleven\u00a0" + "•" * 12 + " og tlf 91234567"


def test_bank_account_layout_is_not_an_identity_number() -> None:
    # 0101.00.12356 is a valid number written as an account number (4.2.5): read as an account.
    assert not contains_identity_number("Kontonummer 0101.00.12356")
    assert contains_identity_number("0101 00-12356")


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_the_check_agrees_with_python_stdnum(first9: int) -> None:
    number = _check(f"{first9:09d}")
    if number is None:
        return
    if fodselsnummer.is_valid(number):
        assert is_identity_number(number)
    elif is_identity_number(number):  # stdnum also refuses birth dates in the future; the guard does not
        assert fodselsnummer.get_birth_date(number) > date.today()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)), st.integers(0, 499), st.booleans())
def test_any_number_with_valid_date_and_check_digits_is_refused(day, individual, d_number) -> None:  # type: ignore[no-untyped-def]
    dd = day.day + (40 if d_number else 0)
    if day.year >= 2000:
        individual += 500
    number = _check(f"{dd:02d}{day.month:02d}{day.year % 100:02d}{individual:03d}")
    if number is not None:
        assert contains_identity_number(f"tekst {number} tekst")


@given(st.text(alphabet="abcdefghij ,.", max_size=200))
def test_text_without_digits_is_never_refused(text: str) -> None:
    assert not contains_identity_number(text)


LAID_OUT = ["01010012356", "010100\u00a012356", "41010012355", "01.01.00.123.56", "0101%200012356"]
FILLER = st.text(alphabet="0123456789 .-/%2A\u00a0\u200b\u2013abc", max_size=8)


@given(st.lists(st.one_of(st.sampled_from(LAID_OUT), FILLER), max_size=8).map("".join))
def test_a_masked_text_keeps_its_length_and_holds_no_number(text: str) -> None:
    masked = mask_identity_numbers(text)
    assert len(masked) == len(text)
    assert not contains_identity_number(masked)
