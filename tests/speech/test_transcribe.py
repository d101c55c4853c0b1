"""``wardsafe transcribe``: what a patient reads later, with other people's identifiers removed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.speech.conftest import FIXTURES, wardsafe
from tests.speech.synth import Piece


def test_transcript_replaces_identifiers_by_their_type(conversation: tuple[Path, list[Piece]], tmp_path: Path) -> None:
    source, _ = conversation
    txt, js = tmp_path / "visit.txt", tmp_path / "visit.json"
    for out in (txt, js):
        run = wardsafe("transcribe", str(source), "-o", str(out))
        assert run.returncode == 0, run.stderr
    text = txt.read_text()
    assert "[NAME]" in text and "[DATE OF BIRTH]" in text and ("[NHS NUMBER]" in text or "[NUMBER]" in text)
    assert "1961" not in text and "March" not in text and "943" not in text
    assert "Good morning" in text and "seat" in text  # the rest is there to read
    assert "speakers are not identified" in text  # turns come from pauses, and it says so
    data = json.loads(js.read_text())
    assert {i["kind"] for i in data["identifiers_removed"]} >= {"NAME", "DATE_OF_BIRTH"}
    assert "1961" not in js.read_text()


def test_patient_keeps_their_own_name_in_subtitles(tmp_path: Path) -> None:
    # "and mister john dashwood had then leisure ...": the patient's own name may stay
    clip = FIXTURES / "ps_librivox_0870.wav"
    removed, kept = tmp_path / "removed.srt", tmp_path / "kept.vtt"
    assert wardsafe("transcribe", str(clip), "-o", str(removed)).returncode == 0
    assert wardsafe("transcribe", str(clip), "-o", str(kept), "--keep-name", "John Dashwood").returncode == 0
    assert "[NAME]" in removed.read_text() and "Dashwood" not in removed.read_text()
    assert "00:00:00,000 -->" in removed.read_text() or " --> " in removed.read_text()
    assert "Dashwood" in kept.read_text() and kept.read_text().startswith("WEBVTT")


def test_transcribe_refuses_a_photo_and_an_unknown_format(tmp_path: Path) -> None:
    clip = FIXTURES / "ps_librivox_0880.wav"
    run = wardsafe("transcribe", str(clip), "-o", str(tmp_path / "out.docx"))
    assert run.returncode == 2 and run.stderr.startswith("error:") and "Traceback" not in run.stderr
    assert not (tmp_path / "out.docx").exists()
