"""Presidio recognisers for identifiers other than names: NHS and hospital numbers, dates, phones, e-mail,
postcodes and address lines.

Each is a Presidio ``EntityRecognizer`` (so they sit in one registry with the name recognisers and the
spaCy model) whose entity names are the values of :class:`~wardsafe.identifiers.model.IdentifierType`.
Presidio's own recognisers are used where they fit (phone numbers, e-mail, the UK postcode regex); the
rest read OCR confusions that Presidio's do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import tldextract
from presidio_analyzer import LocalRecognizer, Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer, UkPostcodeRecognizer

from wardsafe.identifiers.dates import find_dates
from wardsafe.identifiers.model import IdentifierType as T
from wardsafe.identifiers.nhs import OCR_DIGIT_CLASS, is_valid_nhs_number, ocr_digits, real_digit_share

Span = tuple[T, int, int, float]


class SpanRecognizer(LocalRecognizer):
    """A recogniser written as a function from text to spans; Presidio's bookkeeping is done here once."""

    ENTITIES: tuple[T, ...] = ()

    def __init__(self, name: str | None = None) -> None:
        super().__init__(supported_entities=[str(e) for e in self.ENTITIES], name=name or type(self).__name__,
                         supported_language="en")
        self.name: str = name or type(self).__name__

    def load(self) -> None:
        """Nothing to load: every rule is compiled when the class is defined."""

    def spans(self, text: str) -> Iterable[Span]:
        """(type, start, end, score) for each identifier found in ``text``."""
        raise NotImplementedError

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Presidio's entry point: the spans, as RecognizerResults for the entities asked for."""
        wanted = set(entities or self.supported_entities)
        return [
            RecognizerResult(
                entity_type=str(kind),
                start=start,
                end=end,
                score=score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for kind, start, end, score in self.spans(text)
            if str(kind) in wanted and end > start
        ]


_D = OCR_DIGIT_CLASS
_NHS_NUMBER = re.compile(rf"(?<![\w/])(?P<num>{_D}{{3}}[ \-]?{_D}{{3}}[ \-]?{_D}{{4}})(?![\w/])")
_NHS_LABEL = re.compile(r"(?i:\bNH[S5]\s*(?:no\b\.?|number\b|num\b|#)?\s*[:.\-]?\s*)$")


class NhsNumberRecognizer(SpanRecognizer):
    """NHS numbers: ten digits (3-3-4 spaced or not) passing the modulus-11 check, read through OCR confusions.

    A ten-digit number right after an "NHS No" label is hidden even when its check fails: a misread digit
    must not make a real number readable.
    """

    ENTITIES = (T.NHS_NUMBER,)

    def spans(self, text: str) -> Iterable[Span]:
        """NHS numbers in ``text``."""
        for m in _NHS_NUMBER.finditer(text):
            raw = m.group("num")
            digits = re.sub(r"[ \-]", "", ocr_digits(raw))
            if not digits.isdigit() or real_digit_share(raw) < 0.7:
                continue
            labelled = bool(_NHS_LABEL.search(text[max(0, m.start() - 20) : m.start()]))
            if is_valid_nhs_number(digits):
                yield T.NHS_NUMBER, m.start(), m.end(), 1.0 if labelled or digits == raw.replace(" ", "") else 0.9
            elif labelled:
                yield T.NHS_NUMBER, m.start(), m.end(), 0.75


class DateRecognizer(SpanRecognizer):
    """Dates; a date shortly after "DOB", "D.O.B", "D0B", "born" or "date of birth" is a date of birth."""

    ENTITIES = (T.DATE_OF_BIRTH, T.DATE)

    def spans(self, text: str) -> Iterable[Span]:
        """Dates and dates of birth in ``text``."""
        for d in find_dates(text):
            yield (T.DATE_OF_BIRTH, d.start, d.end, 0.95) if d.of_birth else (T.DATE, d.start, d.end, 0.6)


# Labels of equipment codes, which look like hospital numbers but identify no one.
_EQUIPMENT_LABEL = re.compile(
    r"(?i:\b(?:serial|s/n|sn|model|lot|batch|ref|cat(?:alogue)?|part|type|asset|version|ver)\b)\.?\s*"
    r"(?i:no\b\.?|number\b|#)?\s*[:.\-]?\s*$"
)


class HospitalNumberRecognizer(SpanRecognizer):
    """Hospital numbers by the trust's patterns (WARDSAFE_HOSPITAL_NUMBER_PATTERNS); group ``value`` if named."""

    ENTITIES = (T.HOSPITAL_NUMBER,)

    def __init__(self, patterns: Sequence[str]) -> None:
        super().__init__()
        self.patterns = [re.compile(p) for p in patterns]

    def spans(self, text: str) -> Iterable[Span]:
        """Hospital numbers in ``text``, except codes right after an equipment label ("Serial No: SN1234567")."""
        for pattern in self.patterns:
            for m in pattern.finditer(text):
                start, end = m.span("value") if "value" in pattern.groupindex and m.group("value") else m.span()
                if _EQUIPMENT_LABEL.search(text[max(0, m.start() - 16) : m.start()]):
                    continue
                yield T.HOSPITAL_NUMBER, start, end, 0.8


# UK numbers as people write them: 0 or +44 / 0044 (with an optional "(0)"), then 9-10 digits in groups;
# Presidio's phone recogniser (libphonenumber) skips the Ofcom drama ranges and unassigned ranges.
_UK_PHONE = re.compile(
    r"(?<![\w+])(?P<num>(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0)\d(?:[ \-)]{0,2}\d){8,9})(?![\w])"
)


class UkPhoneRecognizer(SpanRecognizer):
    """UK phone numbers (mobile, landline, +44), valid or merely well-formed."""

    ENTITIES = (T.PHONE,)

    def spans(self, text: str) -> Iterable[Span]:
        """UK phone numbers in ``text``."""
        for m in _UK_PHONE.finditer(text):
            digits = re.sub(r"\D", "", m.group("num"))
            national = digits[2:] if digits.startswith("44") else digits[1:]
            if national.startswith("0"):
                national = national[1:]  # "+44 (0)20 ..."
            if len(national) in (9, 10) and national[0] in "123578":
                yield T.PHONE, m.start(), m.end(), 0.8


class WardSafePhoneRecognizer(PhoneRecognizer):
    """Presidio's libphonenumber recogniser, for numbers WardSafe's UK pattern does not cover (+33 ...)."""

    SCORE = 0.8  # Presidio's 0.4 assumes context words; a valid number is reason enough to hide here.

    def __init__(self) -> None:
        super().__init__(supported_entity=str(T.PHONE), supported_regions=("GB",), leniency=1)


# tldextract downloads the public suffix list on first use unless told not to; WardSafe runs offline,
# so it uses the snapshot that ships in the tldextract wheel and caches nothing.
_OFFLINE_TLD = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recogniser, with the domain checked against tldextract's bundled suffix list."""

    def __init__(self) -> None:
        super().__init__(supported_entity=str(T.EMAIL))

    def validate_result(self, pattern_text: str) -> bool:
        """Whether the address ends in a real public suffix (``nhs.net``, ``gmail.com``)."""
        return _OFFLINE_TLD(pattern_text).fqdn != ""


def postcode_recognizer() -> UkPostcodeRecognizer:
    """Presidio's UK postcode regex, case-sensitive (``(?-i:)``: "bay 3ab" is no postcode) and scored to hide."""
    regex = UkPostcodeRecognizer.PATTERNS[0].regex
    return UkPostcodeRecognizer(
        patterns=[Pattern("UK postcode", f"(?-i:{regex})", 0.7)], supported_entity=str(T.POSTCODE)
    )


_STREET = (
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Way|Crescent|Cres|Place|Court|Gardens|Gdns|Grove"
    r"|Terrace|Hill|Park|Square|Sq|Row|Mews|Walk|View|Rise|Parade|Green|Vale|Croft|Fold|Gate|Meadows?"
    r"|Boulevard|Wharf|Yard|Chase|Approach|Crossing)"
)
_WORD = r"(?:[A-Z][a-z'’]+|[A-Z]{2,})"
_ADDRESS = re.compile(
    r"(?<![\w/])(?:(?i:flat|apartment|apt|unit)\s+\d{1,4}[A-Za-z]?,?\s+)?\d{1,4}[A-Za-z]?,?[ \t]+"
    rf"{_WORD}(?:[ \t]+{_WORD}){{0,2}}?[ \t]+(?i:{_STREET})\b\.?(?:,[ \t]*[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)?"
)


class AddressRecognizer(SpanRecognizer):
    """Address lines: a house number, one to three capitalised words and a street word ("12 Oak Road")."""

    ENTITIES = (T.ADDRESS,)

    def spans(self, text: str) -> Iterable[Span]:
        """Address lines in ``text``."""
        for m in _ADDRESS.finditer(text):
            yield T.ADDRESS, m.start(), m.end(), 0.75


def pattern_recognizers(hospital_number_patterns: Sequence[str]) -> list[Any]:
    """Every recogniser of this module, configured, for one registry."""
    return [
        NhsNumberRecognizer(),
        DateRecognizer(),
        HospitalNumberRecognizer(hospital_number_patterns),
        UkPhoneRecognizer(),
        WardSafePhoneRecognizer(),
        OfflineEmailRecognizer(),
        postcode_recognizer(),
        AddressRecognizer(),
    ]
