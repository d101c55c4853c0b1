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
