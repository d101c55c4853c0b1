"""Settings, the name model's location, the pinned name lists and the NHS check shared with permits."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from wardsafe.identifiers import IdentifierSettings, IdentifierSettingsError, NameModelError, build_analyzer
from wardsafe.identifiers.analyzer import _resolve_model
from wardsafe.identifiers.name_lists import NameListError, load_name_lists, philter_set_path
from wardsafe.identifiers.nhs import ocr_digits, real_digit_share
from wardsafe.identifiers.recognizers import HospitalNumberRecognizer
from wardsafe.identifiers.settings import DEFAULT_HOSPITAL_NUMBER_PATTERNS, DEFAULT_NAME_MODEL


def test_defaults_and_environment() -> None:
    assert IdentifierSettings.from_env({}) == IdentifierSettings()
    assert IdentifierSettings().name_model == DEFAULT_NAME_MODEL
    s = IdentifierSettings.from_env(
        {"WARDSAFE_NAME_MODEL": "/models/ner", "WARDSAFE_HOSPITAL_NUMBER_PATTERNS": r'["\\bK\\d{6}\\b"]'}
    )
    assert s.name_model == "/models/ner"
    assert s.hospital_number_patterns == (r"\bK\d{6}\b",)
    hash(s)  # settings key the analyzer cache


@pytest.mark.parametrize("raw", ["not json", '"one string"', "[1, 2]", '["("]', "[]"])
def test_bad_hospital_patterns_are_refused(raw: str) -> None:
    if raw == "[]":
        # An empty list is allowed: the trust has no hospital numbers to hide beyond the other types.
        assert IdentifierSettings.from_env({"WARDSAFE_HOSPITAL_NUMBER_PATTERNS": raw}).hospital_number_patterns == ()
        return
    with pytest.raises(IdentifierSettingsError):
        IdentifierSettings.from_env({"WARDSAFE_HOSPITAL_NUMBER_PATTERNS": raw})


def test_hospital_patterns_hide_the_value_group_or_the_whole_match() -> None:
    rec = HospitalNumberRecognizer([r"(?i:\bcase\s*ref)\s*(?P<value>\d{5})", r"\bK\d{6}\b"])
    text = "Case ref 12345, band K123456"
    spans = sorted((a, b) for _, a, b, _ in rec.spans(text))
    assert [text[a:b] for a, b in spans] == ["12345", "K123456"]
    default = HospitalNumberRecognizer(DEFAULT_HOSPITAL_NUMBER_PATTERNS)
    assert list(default.spans("Linac 2 Bay 3 EXIT")) == []


def test_a_missing_name_model_is_an_error_not_a_download() -> None:
    with pytest.raises(NameModelError, match="WARDSAFE_NAME_MODEL"):
        build_analyzer(IdentifierSettings(name_model="no_such_spacy_model"))


def test_the_name_model_may_be_a_folder() -> None:
    assert _resolve_model(DEFAULT_NAME_MODEL) == DEFAULT_NAME_MODEL
    folder = next(Path(str(spacy.util.get_package_path(DEFAULT_NAME_MODEL))).glob("*/config.cfg")).parent
    assert _resolve_model(str(folder)) == str(folder)


def test_name_lists_are_checked_before_use(tmp_path: Path) -> None:
    lists = load_name_lists()
    assert lists.is_only_name("Okafor") and lists.is_first("Sarah") and lists.is_common("oxygen")
    assert not lists.is_only_name("Rose")  # a name, but also an ordinary word
    changed = tmp_path / "set.toml"
    changed.write_bytes(philter_set_path().read_bytes().replace(b'"okafor"', b'"oxygen"', 1))
    with pytest.raises(NameListError, match="sha256"):
        load_name_lists(changed)


def test_ocr_digit_helpers() -> None:
    assert ocr_digits("ll5 63l 864S") == "115 631 8645"
    assert real_digit_share("115") == 1.0
    assert real_digit_share("lO5") == pytest.approx(1 / 3)
    assert real_digit_share("abc") == 1.0  # nothing digit-like


def test_permits_use_the_same_nhs_check() -> None:
    from wardsafe.identifiers import nhs
    from wardsafe.permits import identifiers as permits_identifiers

    assert permits_identifiers.is_valid_nhs_number is nhs.is_valid_nhs_number
    assert permits_identifiers.contains_nhs_number("NHS 943 476 5919")
