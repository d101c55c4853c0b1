"""NHS numbers: the modulus-11 check, and reading digits that OCR has confused with letters."""

from __future__ import annotations

import re

# Ten digits, optionally grouped 3-3-4 by spaces or dashes, not part of a longer number.
_NHS_CANDIDATE = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")

# Letters OCR reads in place of digits (and the digit each stands for). Only the confusions that
# PP-OCR and Tesseract make on printed digits: O for 0, l/I/| for 1, and a few rarer ones.
OCR_DIGITS = {"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "i": "1", "!": "1",
              "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6"}
# A character class matching a digit or a letter OCR may have put in its place.
OCR_DIGIT_CLASS = "[0-9OoQDIl|i!SsBZzG]"


def ocr_digits(text: str) -> str:
    """``text`` with each OCR look-alike of a digit replaced by that digit (other characters kept)."""
    return "".join(OCR_DIGITS.get(c, c) for c in text)


def real_digit_share(text: str) -> float:
    """The share of digit-like characters in ``text`` that are real digits (1.0 when there are none)."""
    digitlike = [c for c in text if c.isdigit() or c in OCR_DIGITS]
    if not digitlike:
        return 1.0
    return sum(c.isdigit() for c in digitlike) / len(digitlike)


def is_valid_nhs_number(digits: str) -> bool:
    """Whether ten digits pass the NHS number modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def contains_nhs_number(text: str) -> bool:
    """Whether ``text`` holds something that is a valid NHS number (typed text: digits only)."""
    return any(is_valid_nhs_number("".join(m.groups())) for m in _NHS_CANDIDATE.finditer(text))
