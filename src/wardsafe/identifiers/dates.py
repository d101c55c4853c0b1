"""Dates as they are written on screens, wristbands and letters, and as a transcript normalises speech.

Numeric dates (``23/06/1945``, ``23.6.45``, ``1945-06-23``) and dates with a month name (``14 March 1961``,
``14th of Mar '61``, ``March 14, 1961``, ``14-MAR-1961``). Digits may carry OCR confusions (``23/O6/l945``);
a match is accepted only when most of its digit-like characters are real digits and it is a real date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wardsafe.identifiers.nhs import OCR_DIGIT_CLASS, ocr_digits, real_digit_share

_D = OCR_DIGIT_CLASS
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = rf"(?P<year>{_D}{{4}}|['’]?{_D}{{2}})"

# Each pattern names its parts day, month (number or name) and year.
_PATTERNS = [
    # 23/06/1945, 23.6.45, 23-06-1945, 23 / 06 / 1945
    rf"(?P<day>{_D}{{1,2}})\s?(?P<sep>[/.\-])\s?(?P<mnum>{_D}{{1,2}})\s?(?P=sep)\s?(?P<year>{_D}{{4}}|{_D}{{2}})",
    # 1945-06-23
    rf"(?P<year>{_D}{{4}})-(?P<mnum>{_D}{{2}})-(?P<day>{_D}{{2}})",
    # 14 March 1961, 14th of March 1961, 14-MAR-1961, 2nd July '48
    rf"(?P<day>{_D}{{1,2}}){_ORD}[\s\-]+(?:of\s+)?{_MONTH}[\s\-,]+{_YEAR}",
    # March 14, 1961 / March 14th 1961
    rf"{_MONTH}\s+(?P<day>{_D}{{1,2}}){_ORD},?\s+{_YEAR}",
]
_BOUNDED = [
    re.compile(r"(?<![\w/.\-])" + p + r"(?![\w/]|[.\-]\d)", re.IGNORECASE) for p in _PATTERNS
]

# Words that mark a date as a date of birth when they come shortly before it ("DOB", "D.O.B", OCR's "D0B").
DOB_CONTEXT_RE = re.compile(
    r"(?i:\bd\s?[.\-]?\s?[o0]\s?[.\-]?\s?b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s*date\b|\bbirthday\b|\bborn\b"
    r"|\bd\.?o\.?b\.?)"
)
# How far back (in characters, on the same or the previous line) a DOB cue still names the date.
DOB_WINDOW = 40


@dataclass(frozen=True)
class DateMatch:
    """A date found in a text, with whether a date-of-birth cue comes just before it."""

    start: int
    end: int
    of_birth: bool


def _parts(match: re.Match[str]) -> tuple[int, int, int] | None:
    """Day, month and year of a date match, or None when it is not a real date."""
    groups = match.groupdict()
    day_s, year_s = groups.get("day"), groups.get("year")
    mon_s, name_s = groups.get("mnum"), groups.get("month")
    if not day_s or not year_s or not (mon_s or name_s):
        return None
    # OCR may turn a few digits into letters; a run of mostly letters is a word, not a date.
    if real_digit_share(match.group(0)) < 0.6:
        return None
    year_digits = ocr_digits(year_s.lstrip("'’"))
    try:
        day = int(ocr_digits(day_s))
        month = _MONTHS[name_s[:3].lower()] if name_s else int(ocr_digits(mon_s or ""))
        year = int(year_digits)
    except (ValueError, KeyError):
        return None
    # A numeric date may be written month first (US-style equipment and software); accept either order.
    if not (1 <= day <= 31 and 1 <= month <= 12) and not (name_s is None and 1 <= month <= 31 and 1 <= day <= 12):
        return None
    if len(year_digits) == 4 and not 1880 <= year <= 2100:
        return None
    return day, month, year


def find_dates(text: str) -> list[DateMatch]:
    """Every real date in ``text``, longest first where two overlap, in order of position."""
    found: list[tuple[int, int]] = []
    for pattern in _BOUNDED:
        for match in pattern.finditer(text):
            if _parts(match) is not None:
                found.append(match.span())
    found.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    kept: list[tuple[int, int]] = []
    for start, end in found:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return [DateMatch(start, end, _after_dob_cue(text, start)) for start, end in kept]


def _after_dob_cue(text: str, start: int) -> bool:
    """Whether a date-of-birth cue ends within DOB_WINDOW characters before ``start`` with no date between."""
    window_start = max(0, start - DOB_WINDOW)
    window = text[window_start:start]
    cues = list(DOB_CONTEXT_RE.finditer(window))
    if not cues:
        return False
    between = window[cues[-1].end():]
    # A cue followed by another date ("DOB 01/02/1950  Admitted 03/04/2024") names that date only.
    return not any(p.search(between) for p in _BOUNDED)
