"""Each filter makes real faces unrecognisable, scored the way the project's face scorer does.

A face counts as destroyed when, over its box, SSIM(before, after) < 0.6 or the correlation of the
band-passed detail (Gaussian sigma 1 minus sigma 4, at 64x64) is < 0.5 (tests/face_scoring.py
re-implements the rule with numpy, so the tests need nothing outside the repository).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from face_scoring import destroyed, gray, ssim
from wardsafe.detect.face_regions import head_region
from wardsafe.detect.faces import FaceBox
from wardsafe.errors import InputError
from wardsafe.redact.filters import FILTER_KINDS, hide_regions

DATA = Path(__file__).parents[1] / "detect" / "data"


def labelled(name: str) -> tuple[np.ndarray, list[list[int]]]:
    boxes = json.loads((DATA / "boxes.json").read_text())[name]
    faces = [f for f in boxes if min(f[2], f[3]) >= 12]  # the scorer ignores smaller boxes
    return np.asarray(Image.open(DATA / name).convert("RGB")), faces


def face_box(x: int, y: int, w: int, h: int) -> FaceBox:
    return FaceBox(x, y, x + w, y + h, 1.0)


def test_scorer_sees_an_untouched_face_as_readable():
    rgb, faces = labelled("three_faces.jpg")
    x, y, w, h = faces[0]
    crop = gray(rgb)[y : y + h, x : x + w]
    assert not destroyed(crop, crop)
    assert ssim(crop, crop, 7) == pytest.approx(1.0)


@pytest.mark.parametrize("kind", FILTER_KINDS)
@pytest.mark.parametrize("name", ["three_faces.jpg", "crowd.jpg"])
def test_each_filter_destroys_every_face(kind, name):
    rgb, faces = labelled(name)
    height, width = rgb.shape[:2]
    out = rgb.copy()
    hide_regions(out, [head_region(face_box(*f).box, width, height) for f in faces], kind)
    before, after = gray(rgb), gray(out)
    readable = [f for f in faces if not destroyed(before[f[1] : f[1] + f[3], f[0] : f[0] + f[2]],
                                                  after[f[1] : f[1] + f[3], f[0] : f[0] + f[2]])]
    assert readable == []


@pytest.mark.parametrize("kind", FILTER_KINDS)
def test_a_face_cut_by_the_frame_edge_is_destroyed(kind):
    rgb, faces = labelled("three_faces.jpg")
    x, y, w, h = faces[0]
    # crop the photo so that the face's left third and the head above it fall outside the frame
    frame = np.ascontiguousarray(rgb[y + h // 4 :, x + w // 3 :])
    box = (0, 0, w - w // 3, h - h // 4)
    out = frame.copy()
    hide_regions(out, [head_region(face_box(*box).box, frame.shape[1], frame.shape[0])], kind)
    assert destroyed(gray(frame)[: box[3], : box[2]], gray(out)[: box[3], : box[2]])


def test_pixels_outside_the_regions_are_untouched():
    rgb, faces = labelled("three_faces.jpg")
    out = rgb.copy()
    region = head_region(face_box(*faces[0]).box, rgb.shape[1], rgb.shape[0])
    hide_regions(out, [region], "blur")
    x0, y0, x1, y1 = region
    outside = np.ones(rgb.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(out[outside], rgb[outside])
    assert not np.array_equal(out[y0:y1, x0:x1], rgb[y0:y1, x0:x1])
    # the ellipse's corners keep the background
    assert np.array_equal(out[y0, x0], rgb[y0, x0])


def test_head_region_covers_the_face_and_stays_in_the_frame():
    face = FaceBox(100, 100, 140, 150, 0.9)
    x0, y0, x1, y1 = head_region(face.box, 640, 480)
    assert x0 < 100 and y0 < 100 and x1 > 140 and y1 > 150
    assert head_region((-20, -20, 30, 30), 640, 480)[:2] == (0, 0)
    assert head_region((620, 460, 700, 520), 640, 480)[2:] == (640, 480)
    off = head_region((700, 500, 720, 520), 640, 480)
    assert off[0] == off[2] or off[1] == off[3]


@pytest.mark.parametrize("box", [(100, 100, 140, 150), (300, 50, 312, 64), (0, 0, 60, 80), (590, 400, 640, 480)])
def test_the_whole_face_box_lies_in_the_fully_hidden_core(box):
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    hide_regions(frame, [head_region(tuple(box), 640, 480)], "solid")
    x0, y0, x1, y1 = box
    face = frame[y0:y1, x0:x1].reshape(-1, 3)
    assert (face == face[0]).all()  # one flat colour: nothing of the face blends through


def test_empty_and_off_frame_regions_are_skipped_and_bad_kinds_refused():
    rgb = np.full((50, 60, 3), 128, np.uint8)
    hide_regions(rgb, [(10, 10, 10, 20), (70, 0, 90, 20), (-30, -30, -5, -5)], "blur")
    assert (rgb == 128).all()
    with pytest.raises(InputError, match="unknown filter"):
        hide_regions(rgb, [(0, 0, 10, 10)], "swirl")  # type: ignore[arg-type]


def test_filters_work_on_a_720p_frame_in_place():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    regions = [(100 * i, 50 * i, 100 * i + 40 + 20 * i, 50 * i + 50 + 25 * i) for i in range(10)]
    for kind in FILTER_KINDS:
        work = frame.copy()
        start = time.perf_counter()
        hide_regions(work, regions, kind)
        elapsed = time.perf_counter() - start  # speed is benchmarked, not asserted; this only shows it runs
        assert elapsed >= 0 and not np.array_equal(work, frame)


@pytest.mark.parametrize("kind", FILTER_KINDS)
@pytest.mark.parametrize("channels", [1, 2])
def test_planes_are_hidden_like_an_rgb_frame(kind, channels):
    rgb, faces = labelled("three_faces.jpg")
    # video frames are hidden as planes: Y alone, then U and V stacked in one two-channel image
    plane = gray(rgb).astype(np.uint8)
    image = plane if channels == 1 else np.dstack((plane, 255 - plane))
    out = image.copy()
    hide_regions(out, [head_region(face_box(*f).box, plane.shape[1], plane.shape[0]) for f in faces], kind)
    for c in range(channels):
        before = image if channels == 1 else image[..., c]
        after = out if channels == 1 else out[..., c]
        for x, y, w, h in faces:
            crop = np.s_[y : y + h, x : x + w]
            assert destroyed(before[crop].astype(np.float32), after[crop].astype(np.float32))
