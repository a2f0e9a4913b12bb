from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import contains_identity_number, is_identity_number

# Synthetic, published test numbers (not real people): a fødselsnummer and a D-number.
VALID_FNR = "01010012356"
VALID_DNR = "41010012355"


def _with_check_digits(first9: str) -> str | None:
    w1, w2 = (3, 7, 6, 1, 8, 9, 4, 5, 2), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    digits = [int(c) for c in first9]
    k1 = 11 - sum(d * w for d, w in zip(digits, w1, strict=True)) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10:
        return None
    digits.append(k1)
    k2 = 11 - sum(d * w for d, w in zip(digits, w2, strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    if k2 == 10:
        return None
    return first9 + str(k1) + str(k2)


def test_valid_numbers_are_recognised_in_text() -> None:
    assert is_identity_number(VALID_FNR)
    assert contains_identity_number(f"Eleven har fnr {VALID_FNR[:6]} {VALID_FNR[6:]}.")
    assert is_identity_number(VALID_DNR) == (_with_check_digits(VALID_DNR[:9]) == VALID_DNR)


def test_phone_numbers_and_wrong_check_digits_pass() -> None:
    assert not contains_identity_number("Ring meg på 91234567 eller +47 22 33 44 55")
    assert not is_identity_number("01010012357")
    assert not is_identity_number("32130012356")


@given(st.dates(), st.integers(min_value=0, max_value=999), st.booleans())
def test_any_number_with_valid_date_and_check_digits_is_refused(day, individual, d_number) -> None:  # type: ignore[no-untyped-def]
    dd = day.day + (40 if d_number else 0)
    number = _with_check_digits(f"{dd:02d}{day.month:02d}{day.year % 100:02d}{individual:03d}")
    if number is not None:
        assert contains_identity_number(f"tekst {number} tekst")


@given(st.text(alphabet="abcdefghij ,.", max_size=200))
def test_text_without_digits_is_never_refused(text: str) -> None:
    assert not contains_identity_number(text)
