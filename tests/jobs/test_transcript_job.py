"""Consultation audio uploaded under its permit gets a transcript beside the bleeped copy, with the names
heard replaced by their type; the patient downloads both."""

from __future__ import annotations

from pathlib import Path

import pytest

from wardsafe.jobs.files import recording_folder, transcript_path
from wardsafe.jobs.run import run_recording
from wardsafe.media.probe import probe
from wardsafe.permits.model import Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService

pytestmark = pytest.mark.slow
SPEECH = Path(__file__).parents[1] / "fixtures" / "speech" / "ps_librivox_0870.wav"  # "... mister john dashwood ..."


def test_consultation_audio_gets_a_transcript_with_names_replaced(service: PermissionService, tmp_path: Path) -> None:
    created = service.create_request(NewRequest(
        area_id="outpatients-3", media=[Media.AUDIO], purpose=Purpose.CONSULTATION_AUDIO, patient_name="Amy",
        contact="07700 900123", staff=[],
    ))  # fmt: skip
    recording_id = service.new_recording_id()
    original = recording_folder(tmp_path / "data", recording_id) / "original.wav"
    original.write_bytes(SPEECH.read_bytes())
    service.add_recording(created.token, recording_id, "audio", str(original))

    assert run_recording(service, recording_id) == "review"
    view = service.job_view(recording_id)
    assert probe(Path(view.output_path or "")).kind == "audio"
    assert view.hidden.get("speech", 0) >= 1
    text = transcript_path(original.parent).read_text()
    assert text.startswith("Transcript of") and "[NAME]" in text and "dashwood" not in text.lower()
    assert "leisure" in text.lower()  # the rest is there
