"""A tracked face that key-frame detection missed is found again close up, at full resolution."""

from __future__ import annotations

import json

from media.bad_inputs import FIXTURES
from wardsafe.detect.face_regions import FaceRegions
from wardsafe.detect.faces import load_face_detector
from wardsafe.media.video import VideoReader


def _faces() -> FaceRegions:
    return FaceRegions(load_face_detector(), precision="float")


def test_missed_face_is_found_again_where_its_track_expected_it() -> None:
    truth = json.loads((FIXTURES / "truth.json").read_text())["clip.mp4"]
    with VideoReader(FIXTURES / "clip.mp4") as reader:
        frame = next(iter(reader.frames()))
        x, y, w, h = truth["boxes"][0][1]
        # where the track predicted the face: a little off, as a moving face would be
        expected = (x + 0.2 * w, y - 0.1 * h, x + 1.2 * w, y + 0.9 * h)
        found = _faces().look_again(frame, [expected, (5.0, 5.0, 30.0, 30.0)], known=[])
    assert len(found) == 1, "the face, and nothing where there is no face"
    (x0, y0, x1, y1), score = found[0].box, found[0].score
    assert x0 <= x + w / 2 <= x1 and y0 <= y + h / 2 <= y1
    assert score > 0.05


def test_nothing_is_added_twice() -> None:
    truth = json.loads((FIXTURES / "truth.json").read_text())["clip.mp4"]
    with VideoReader(FIXTURES / "clip.mp4") as reader:
        frame = next(iter(reader.frames()))
        x, y, w, h = truth["boxes"][0][1]
        box = (float(x), float(y), float(x + w), float(y + h))
        found = _faces().look_again(frame, [box], known=[box])
    assert found == []
