"""A job redacts as its permit says, not as the engine's defaults do: under the shipped policy every permit
says "no screens, whiteboards or written records in shot", so every written word is hidden (an exit sign
too, which the engine's default leaves readable), and the name of staff who agreed only if not
identifiable is among them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench_scenes import make_scene
from wardsafe.jobs.files import recording_folder
from wardsafe.jobs.run import run_recording
from wardsafe.media.image import read_image
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService

pytestmark = pytest.mark.slow


def test_the_permits_conditions_decide_what_written_words_are_hidden(
    service: PermissionService, staff_ids: dict[str, int], tmp_path: Path
) -> None:
    service.add_staff("sam", "Sam Patel (radiographer)", "sam-password-long", areas=["radiotherapy-1"])
    sam = next(s.id for s in service.list_area_staff("radiotherapy-1") if s.display_name.startswith("Sam"))
    created = service.create_request(NewRequest(
        area_id="radiotherapy-1", media=[Media.PHOTO], purpose=Purpose.FAMILY, patient_name="Amy",
        contact="07700 900123", staff=[sam_public_id(service)],
    ))  # fmt: skip
    service.decide(sam, created.request.code, DecisionKind.AGREE_IF_UNIDENTIFIABLE)
    scene = make_scene(5, 1280, 720, cards=("whiteboard", "exit"))  # the whiteboard names Sam PATEL
    recording_id = service.new_recording_id()
    original = recording_folder(tmp_path / "data", recording_id) / "original.png"
    Image.fromarray(scene.rgb).save(original)
    service.add_recording(created.token, recording_id, "image", str(original))

    assert run_recording(service, recording_id) == "review"
    view = service.job_view(recording_id)
    after = read_image(Path(view.output_path or ""))
    patel = next(w for w in scene.words if w.text == "PATEL")
    exit_sign = next(w for w in scene.words if w.text == "EXIT")
    for word, hidden in ((patel, True), (exit_sign, True)):
        x0, y0, x1, y1 = word.box
        change = float(np.abs(scene.rgb[y0:y1, x0:x1].astype(int) - after[y0:y1, x0:x1].astype(int)).mean())
        assert (change > 3) is hidden, (word.text, change)


def sam_public_id(service: PermissionService) -> str:
    """Sam's id as the patient's form carries it (an opaque public id, not the username)."""
    return next(s.public_id for s in service.list_area_staff("radiotherapy-1") if s.display_name.startswith("Sam"))
