"""Hard faces (PPE, goggles, respirators, low light, blur, turned heads): CenterFace with BlazeFace's second
opinion finds the faces CenterFace alone misses, and does not take a face-free background for faces."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wardsafe.detect.blazeface import (
    CombinedFaceDetector,
    agreeing,
    candidate_floor,
    load_blazeface,
    load_combined_detector,
)
from wardsafe.detect.faces import FaceBox

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parents[1] / "fixtures" / "hard_faces"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text())
FACES = [e for e in MANIFEST if e["boxes"]]
# the shared scorer counts faces from 12 px
MIN_SIDE = 12


def _load(entry: dict) -> tuple[np.ndarray, list[list[int]]]:
    rgb = np.asarray(Image.open(FIXTURE / entry["image"]).convert("RGB"))
    return rgb, [b for b in entry["boxes"] if min(b[2], b[3]) >= MIN_SIDE]


def _found(faces: list[FaceBox], boxes: list[list[int]]) -> list[bool]:
    """Per labelled box, whether a detection's centre lies in it (as bench/hard_faces.py counts)."""
    return [any(x <= f.cx <= x + w and y <= f.cy <= y + h for f in faces) for x, y, w, h in boxes]


@pytest.fixture(scope="module")
def combined() -> CombinedFaceDetector:
    return load_combined_detector(threads=2)


def test_fixture_is_small_and_has_each_hard_kind():
    assert sum(p.stat().st_size for p in FIXTURE.iterdir()) < 1_000_000
    assert {e["aug"] for e in FACES} >= {"dark", "motion", "blur", "goggles", "respirator", "ppe", "profile"}


def test_combined_finds_every_hard_face_that_centerface_alone_misses(combined):
    missed_alone = 0
    for entry in FACES:
        rgb, boxes = _load(entry)
        alone = _found(combined.centerface.detect_photo(rgb, 0.15), boxes)
        both = _found(combined.detect_photo(rgb, 0.15), boxes)
        missed_alone += alone.count(False)
        assert all(both), (entry["image"], both)
    # the fixture was chosen so: each image holds a face CenterFace alone misses at the photo threshold
    assert missed_alone >= len(FACES)


def test_combined_confirms_at_the_video_threshold_on_key_frames(combined):
    # a video key frame is one pass at its own size, at threshold 0.05
    rgb, boxes = _load(next(e for e in FACES if e["image"] == "ppe_maksssksksss200.jpg"))
    assert not all(_found(combined.centerface.detect(rgb, 0.05), boxes))
    assert all(_found(combined.detect(rgb, 0.05), boxes))


def test_background_blazeface_alone_sees_faces_in_the_combination_rejects(combined):
    rgb = np.asarray(Image.open(FIXTURE / "background.jpg").convert("RGB"))
    assert load_blazeface("short", threads=2).detect(rgb, 0.5)  # BlazeFace alone is fooled here
    assert combined.detect_photo(rgb, 0.15) == []
    assert combined.detect_photo(rgb, 0.05) == []


def test_confirmed_faces_keep_centerface_box_and_take_the_confirming_score():
    weak = FaceBox(10, 10, 50, 60, 0.04)
    elsewhere = FaceBox(200, 200, 240, 250, 0.05)
    confirmation = FaceBox(12, 8, 52, 58, 0.61)
    assert agreeing([weak, elsewhere], [confirmation]) == [FaceBox(10, 10, 50, 60, 0.61)]
    assert agreeing([weak], []) == []


def test_candidate_floor():
    assert candidate_floor(0.15) == pytest.approx(0.03)
    assert candidate_floor(0.05) == pytest.approx(0.02)
    assert candidate_floor(0.01) == pytest.approx(0.01)


def test_combined_names_every_model(combined):
    assert combined.model_name.count(" + ") == 2 and "CenterFace" in combined.model_name
    assert combined.model_sha256.split(" + ")[1:] == [m.model_sha256 for m in combined.blazefaces]
