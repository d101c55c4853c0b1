"""From identifiers' character spans to the OCR words (and boxes) that must be hidden."""

from __future__ import annotations

from wardsafe.identifiers import (
    Identifier,
    IdentifierAnalyzer,
    IdentifierType,
    find_in_words,
    identifiers_by_word,
    join_lines,
    word_spans,
)

T = IdentifierType


def test_word_spans_and_join_lines_agree() -> None:
    text, spans = join_lines([["Sarah", "Jones"], ["Therapeutic", "Radiographer"]])
    assert text == "Sarah Jones\nTherapeutic Radiographer"
    assert spans == [[(0, 5), (6, 11)], [(12, 23), (24, 36)]]
    assert word_spans(text) == [s for line in spans for s in line]
    assert join_lines([]) == ("", [])


def test_a_word_touched_by_an_identifier_belongs_to_it() -> None:
    text = "Bay 2 - J.SMITH today"
    spans = word_spans(text)
    name = Identifier(T.NAME, 10, 15, 0.8, "rule")  # "SMITH" inside the glued word "J.SMITH"
    weak = Identifier(T.DATE, 12, 21, 0.6, "rule")
    assert identifiers_by_word(spans, [weak, name]) == [None, None, None, name, weak]
    assert identifiers_by_word(spans, []) == [None] * 5
    assert identifiers_by_word([], [name]) == []


def test_find_in_words_on_ocr_lines(analyzer: IdentifierAnalyzer) -> None:
    badge = find_in_words([["Sarah", "Jones"], ["Therapeutic", "Radiographer"]], analyzer=analyzer)
    assert [[w.type if w else None for w in line] for line in badge] == [[T.NAME, T.NAME], [None, None]]

    monitor = "Patient: Tom BAKER DOB 23/06/1945 NHS No 115 631 8645".split()
    (flags,) = find_in_words([monitor], analyzer=analyzer)
    assert [f.type.value if f else "-" for f in flags] == [
        "-", "NAME", "NAME", "-", "DATE_OF_BIRTH", "-", "-", "NHS_NUMBER", "NHS_NUMBER", "NHS_NUMBER",
    ]  # fmt: skip

    (sign,) = find_in_words([["Fire", "door", "keep", "shut"]], analyzer=analyzer)
    assert sign == [None, None, None, None]


def test_find_in_words_with_permit_names(analyzer: IdentifierAnalyzer) -> None:
    lines = [["Sam", "Patel"], ["Healthcare", "Assistant"], ["Maria", "Lopez"]]
    flags = find_in_words(lines, hide_names=["Sam Patel"], keep_names=["Maria Lopez"], analyzer=analyzer)
    assert [[bool(f) for f in line] for line in flags] == [[True, True], [False, False], [False, False]]


def test_overlaps_merge_within_a_type_and_the_stronger_type_wins() -> None:
    from wardsafe.identifiers.analyzer import resolve_overlaps

    a = Identifier(T.NAME, 0, 9, 0.85, "model")
    b = Identifier(T.NAME, 4, 12, 0.9, "rule")
    phone = Identifier(T.PHONE, 20, 32, 0.8, "phone")
    nhs = Identifier(T.NHS_NUMBER, 20, 32, 1.0, "nhs")
    date = Identifier(T.DATE, 40, 50, 0.6, "date")
    dob = Identifier(T.DATE_OF_BIRTH, 40, 50, 0.95, "date")
    part = Identifier(T.ADDRESS, 45, 60, 0.75, "address")
    assert resolve_overlaps([phone, b, date, a, nhs, dob, part]) == [
        Identifier(T.NAME, 0, 12, 0.9, "rule"),
        nhs,
        dob,
        part,  # overlaps the date of birth without being inside it: both stay
    ]
    assert resolve_overlaps([]) == []
