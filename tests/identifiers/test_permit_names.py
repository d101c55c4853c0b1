"""Names from a permit: names to hide wherever they appear, the patient's own name left readable."""

from __future__ import annotations

import pytest

from wardsafe.identifiers import IdentifierAnalyzer, find_identifiers
from wardsafe.identifiers.permit_names import name_parts


def names(analyzer: IdentifierAnalyzer, text: str, hide: tuple[str, ...] = (), keep: tuple[str, ...] = ()) -> list[str]:
    """The text of each NAME found."""
    return [
        text[i.start : i.end]
        for i in find_identifiers(text, hide, keep, analyzer=analyzer)
        if i.type.value == "NAME"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sam Patel", ["Sam Patel"]),
        ("PATEL", ["PATEL"]),
        ("patel", ["patel"]),
        ("S. Patel", ["S. Patel"]),
        ("S.PATEL", ["S.PATEL"]),
        ("Sam", ["Sam"]),
        ("sam's badge", ["sam"]),
        ("Pate1", ["Pate1"]),  # OCR read the l as a 1
        ("Samples", []),  # a word that starts the same way
        ("Sample room", []),
    ],
)
def test_hide_names_match_in_full_or_in_part(analyzer: IdentifierAnalyzer, text: str, expected: list[str]) -> None:
    assert names(analyzer, text, hide=("Dr Sam Patel",)) == expected


def test_hide_names_hide_what_no_recogniser_would(analyzer: IdentifierAnalyzer) -> None:
    # "Rose" and "Hill" are ordinary words; the permit says they are a person here.
    assert names(analyzer, "Rose Hill") == []
    assert names(analyzer, "Rose Hill", hide=("Rose Hill",)) == ["Rose Hill"]
    assert names(analyzer, "Ward 7 Rose Ward", hide=("Rose Hill",)) == ["Rose"]


def test_keep_names_leave_the_patients_own_name(analyzer: IdentifierAnalyzer) -> None:
    keep = ("Maria Lopez",)
    assert names(analyzer, "Patient: Maria LOPEZ  DOB 02/03/1970", keep=keep) == []
    assert names(analyzer, "Maria Lopez was here", keep=keep) == []
    assert names(analyzer, "Good morning Mrs Lopez", keep=keep) == []
    assert names(analyzer, "Bay 2 - M. LOPEZ", keep=keep) == []
    # Others' names are still found; and only names are kept, not her date of birth.
    assert names(analyzer, "Maria Lopez and Dr Chen", keep=keep) == ["Chen"]
    # Her first name with another surname: the surname is hidden, her name part is not.
    assert names(analyzer, "Patient: Maria BAKER", keep=keep) == ["BAKER"]
    text = "Patient: Maria LOPEZ  DOB 02/03/1970"
    kinds = [i.type.value for i in find_identifiers(text, keep_names=keep, analyzer=analyzer)]
    assert kinds == ["DATE_OF_BIRTH"]


def test_a_name_to_hide_wins_over_a_name_to_keep(analyzer: IdentifierAnalyzer) -> None:
    # Two people share a surname: the staff member asked to be hidden, the patient keeps her name.
    assert names(analyzer, "Maria Patel", hide=("Sam Patel",), keep=("Maria Patel",)) == ["Patel"]
    assert names(analyzer, "Sam Patel", hide=("Sam Patel",), keep=("Sam Patel",)) == ["Sam Patel"]


def test_name_parts_drop_titles() -> None:
    assert name_parts("Dr Sam O'Neill-Patel") == ["sam", "o'neill-patel"]
    assert name_parts("Mrs. J Okafor") == ["j", "okafor"]
    assert name_parts("") == []
