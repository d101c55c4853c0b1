"""Video key frames: a line read on the last reading and found again unchanged keeps its reading (the camera
moved it); a line that changed, or came further into view, is read again."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench_scenes import make_scene
from wardsafe.detect.ocr_engine import OcrLine, get_engine
from wardsafe.detect.seam import RgbFrame
from wardsafe.detect.text_regions import TextRegions

pytestmark = pytest.mark.slow


def view(rgb: np.ndarray, x: float, noise: float, seed: int) -> np.ndarray:
    """A 1280 x 720 view of ``rgb`` from ``x`` (a fraction of a pixel too), with sensor noise and JPEG, as video
    frames come."""
    moved = cv2.warpAffine(rgb, np.float32([[1, 0, -x], [0, 1, 0]]), (1280, 720), flags=cv2.INTER_LINEAR)
    noisy = np.clip(moved + np.random.default_rng(seed).normal(0, noise, moved.shape), 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 75])
    assert ok
    return cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED)


def moved_by(line: OcrLine, old: OcrLine, dx: float) -> bool:
    """Whether ``line`` is ``old``'s reading, every word moved ``dx`` px across (to a pixel)."""
    return [w.text for w in line.words] == [w.text for w in old.words] and all(
        np.abs(np.subtract(w.box, o.box) - [dx, 0, dx, 0]).max() < 1.0 for w, o in zip(line.words, old.words,
                                                                                       strict=True))


def test_unchanged_lines_keep_their_reading_changed_ones_are_read_again() -> None:
    scene = make_scene(7, 1800, 720, cards=("monitor", "whiteboard", "letter"))
    detector = TextRegions(get_engine(), cadence=3)
    first = detector.read_lines(RgbFrame(view(scene.rgb, 100.0, 3.0, 1), index=0, still=False))
    before = detector.fresh_readings
    assert before == len(first) >= 8

    # Moved 3.5 px by the camera, new noise: most lines keep their reading, moved with the picture (lines cut by
    # the frame's edge are read again).
    again = detector.read_lines(RgbFrame(view(scene.rgb, 103.5, 3.0, 2), index=15, still=False))
    kept = len(again) - (detector.fresh_readings - before)
    assert kept >= 0.5 * len(again)
    carried = [line for line in again if any(moved_by(line, old, -3.5) for old in first)]
    assert len(carried) >= kept

    # One character of the NHS number changed on the next reading: that line is read again, the others not.
    word = next(w for w in scene.words if w.text == "NHS")
    x0, y0, x1, y1 = word.box
    h = y1 - y0
    altered = scene.rgb.copy()
    altered[y0:y1, x0 + h // 10:x0 + h // 10 + h // 2] = scene.rgb[y0:y1, x1 - h // 2 - h // 10:x1 - h // 10]
    before = detector.fresh_readings
    third = detector.read_lines(RgbFrame(view(altered, 115.0, 3.0, 3), index=30, still=False))
    line = next(line for line in third if line.box[0] <= (x0 + x1) / 2 - 115 <= line.box[2]
                and line.box[1] <= (y0 + y1) / 2 <= line.box[3])
    assert "NHS" not in [w.text for w in line.words]  # what was read is what is there now
    assert 1 <= detector.fresh_readings - before < len(third)


def test_photos_are_always_read() -> None:
    scene = make_scene(7, 1800, 720, cards=("monitor",))
    detector = TextRegions(get_engine())
    rgb = view(scene.rgb, 100.0, 0.0, 1)
    detector.read_lines(RgbFrame(rgb, index=0, still=False))
    before = detector.fresh_readings
    detector.read_lines(RgbFrame(rgb))
    assert detector.fresh_readings == before  # photos are not counted: each one is read afresh


def test_still_camera_hides_the_same_words_without_reading_again() -> None:
    scene = make_scene(3, 1280, 720, cards=("monitor", "badge", "exit"))
    detector = TextRegions(get_engine(), cadence=3)
    first = detector.find(RgbFrame(view(scene.rgb, 0.0, 2.0, 1), index=0, still=False))
    before = detector.fresh_readings
    second = detector.find(RgbFrame(view(scene.rgb, 0.0, 2.0, 2), index=15, still=False))
    assert detector.fresh_readings == before
    assert first and [d.label for d in first] == [d.label for d in second]
    assert all(np.abs(np.subtract(a.box, b.box)).max() < 1.0 for a, b in zip(first, second, strict=True))
