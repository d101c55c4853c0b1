"""Face detection on real photos, the graph fix, and model loading errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wardsafe.detect import centerface
from wardsafe.detect.faces import FaceBox, load_face_detector, photo_scales
from wardsafe.errors import ConfigError, InputError


def _found(face: list[int], boxes: list[FaceBox]) -> bool:
    """A labelled face [x, y, w, h] counts as found when a detection's centre lies inside it."""
    x, y, w, h = face
    return any(x <= b.cx <= x + w and y <= b.cy <= y + h for b in boxes)


def test_detect_finds_the_faces_of_a_real_photo(detector, photo):
    rgb, labelled = photo("three_faces.jpg")
    boxes = detector.detect(rgb)
    assert all(_found(face, boxes) for face in labelled)
    for b in boxes:
        assert 0 <= b.x0 < b.x1 <= rgb.shape[1] and 0 <= b.y0 < b.y1 <= rgb.shape[0]
        assert 0 < b.score <= 1 and b.landmarks is not None and len(b.landmarks) == 10
    assert [b.score for b in boxes] == sorted((b.score for b in boxes), reverse=True)


def test_detect_photo_finds_small_faces_in_a_crowd(detector, photo):
    rgb, labelled = photo("crowd.jpg")  # 400x226, faces 12-39 px
    faces = [f for f in labelled if min(f[2], f[3]) >= 12]
    single = sum(_found(f, detector.detect(rgb)) for f in faces)
    multi = sum(_found(f, detector.detect_photo(rgb)) for f in faces)
    assert multi >= 0.9 * len(faces)
    assert multi >= single  # enlarging the photo finds faces one pass misses


def test_detect_ignores_a_photo_without_people(detector):
    rng = np.random.default_rng(0)
    smooth = np.repeat(np.repeat(rng.integers(60, 200, (12, 16, 3), dtype=np.uint8), 40, 0), 40, 1)
    assert detector.detect(smooth) == []


def test_detect_takes_any_size_and_boxes_scale_with_the_image(detector, photo):
    rgb, _ = photo("three_faces.jpg")
    odd = rgb[:301, :427]  # not a multiple of 32: padded, never resized
    assert all(b.x1 <= 427 and b.y1 <= 301 for b in detector.detect(odd))
    box = FaceBox(10, 20, 30, 50, 0.9)
    assert box.scaled(2) == FaceBox(20, 40, 60, 100, 0.9)
    assert (box.w, box.h, box.cx, box.cy) == (20, 30, 20, 35)


def test_detect_rejects_what_is_not_an_rgb_image(detector):
    with pytest.raises(InputError):
        detector.detect(np.zeros((20, 20), np.uint8))
    with pytest.raises(InputError):
        detector.detect_photo(np.zeros((20, 20, 3), np.float32))


def test_photo_scales_enlarge_small_photos_and_cap_large_ones():
    assert photo_scales(400, 300)[0] == 2.0
    finest = photo_scales(4000, 3000)[0]
    assert 4000 * 3000 * finest**2 <= 3_000_001
    assert photo_scales(4000, 3000)[-1] * 4000 <= 960


def test_graph_fix_keeps_outputs_equal(detector, photo):
    import onnx

    rgb, _ = photo("three_faces.jpg")
    blob = centerface.to_blob(rgb)
    path = centerface.default_model_path()
    unfixed = centerface.make_dims_dynamic(onnx.load(str(path)))
    fixed = centerface.fix_graph(onnx.load(str(path)))
    assert len(fixed.graph.input) == 1 and len(unfixed.graph.input) > 100
    names = list(centerface.OUTPUT_NAMES)
    feed = {centerface.INPUT_NAME: blob}
    reference = centerface.make_session(unfixed.SerializeToString(), 2).run(names, feed)
    result = centerface.make_session(fixed.SerializeToString(), 2).run(names, feed)
    for ref, out in zip(reference, result, strict=True):
        np.testing.assert_allclose(out, ref, atol=1e-4, rtol=1e-4)


def test_load_refuses_a_graph_whose_outputs_change():
    import onnx
    from onnx import numpy_helper

    path = centerface.default_model_path()
    original = centerface.make_dims_dynamic(onnx.load(str(path))).SerializeToString()
    altered = centerface.fix_graph(onnx.load(str(path)))
    weight = next(w for w in altered.graph.initializer if len(w.dims) == 4)
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * 2, weight.name))
    with pytest.raises(ConfigError, match="does not reproduce"):
        centerface.verify_graph_fix(original, centerface.make_session(altered.SerializeToString(), 1))


def test_detector_reports_model_name_and_hash(detector):
    assert "CenterFace" in detector.model_name
    assert len(detector.model_sha256) == 64
    assert load_face_detector(threads=2) is detector  # loaded once per process


def test_missing_model_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="not found"):
        load_face_detector(tmp_path / "nothing.onnx")


def test_corrupt_model_is_a_config_error(tmp_path: Path):
    bad = tmp_path / "centerface.onnx"
    bad.write_bytes(b"this is not a model" * 100)
    with pytest.raises(ConfigError):
        load_face_detector(bad)


def test_model_path_comes_from_the_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("WARDSAFE_FACE_MODEL", str(tmp_path / "elsewhere.onnx"))
    with pytest.raises(ConfigError, match="elsewhere.onnx"):
        load_face_detector()


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 5, 3), (2000, 10, 3)])
def test_tiny_and_thin_images_give_no_faces_and_no_error(detector, shape):
    blank = np.zeros(shape, np.uint8)
    assert detector.detect(blank) == [] and detector.detect_photo(blank) == []
