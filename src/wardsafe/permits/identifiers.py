"""Keeping identifiers out of what WardSafe stores about a patient.

A request needs a name staff can call the patient by and a way to reach them, nothing more. People
sometimes type their NHS number into a free-text box; such text is refused rather than stored.
"""

from __future__ import annotations

import re

# Ten digits, optionally grouped 3-3-4 by spaces or dashes, not part of a longer number.
_NHS_CANDIDATE = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")


def is_valid_nhs_number(digits: str) -> bool:
    """Whether ten digits pass the NHS number modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def contains_nhs_number(text: str) -> bool:
    """Whether ``text`` holds something that is a valid NHS number."""
    return any(is_valid_nhs_number("".join(m.groups())) for m in _NHS_CANDIDATE.finditer(text))
