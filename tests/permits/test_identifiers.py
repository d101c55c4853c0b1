"""NHS numbers typed into free text are recognised by their checksum, so they are never stored."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wardsafe.permits.identifiers import contains_nhs_number, is_valid_nhs_number


def test_known_numbers() -> None:
    # 943 476 5919 is the NHS's published example of a valid number.
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")
    assert contains_nhs_number("my nhs no is 943 476 5919 thanks")
    assert contains_nhs_number("943-476-5919")
    assert not contains_nhs_number("call 07700 900123")  # a phone number is not an NHS number
    assert not contains_nhs_number("19434765919")  # part of a longer number
    assert not contains_nhs_number("Tom, bay 4")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_completes_a_number_unless_none_can(prefix: str) -> None:
    valid = [d for d in "0123456789" if is_valid_nhs_number(prefix + d)]
    assert len(valid) <= 1
