"""The int8 key-frame model: built once from the installed float model, offline, and as good at finding faces."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from wardsafe.detect import centerface
from wardsafe.detect.faces import FaceDetector
from wardsafe.detect.nms import box_iou
from wardsafe.detect.quantize import ensure_int8_model
from wardsafe.errors import ConfigError


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(float model, cache folder, int8 copy) built into an empty cache (the one slow step, ~15 s)."""
    cache = tmp_path_factory.mktemp("model-cache")
    source = centerface.default_model_path()
    return source, cache, ensure_int8_model(source, cache)


def test_int8_copy_is_built_once_and_named_by_model_and_runtime(built: tuple[Path, Path, Path]) -> None:
    source, cache, path = built
    assert path.parent == cache
    assert centerface.file_sha256(source)[:16] in path.name and f"ort{ort.__version__}" in path.name
    assert [p.name for p in cache.iterdir()] == [path.name], "no partial files left behind"
    stamp = path.stat().st_mtime_ns
    assert ensure_int8_model(source, cache) == path
    assert path.stat().st_mtime_ns == stamp, "a second call reuses the copy"
    assert path.stat().st_size < centerface.default_model_path().stat().st_size


def test_int8_copy_finds_the_labelled_faces_the_float_model_finds(built, photo, detector) -> None:
    source, _, path = built
    int8 = FaceDetector(source, threads=2, int8_path=path)
    assert int8.precision == "int8" and "int8" in int8.model_name
    assert int8.model_sha256 == centerface.file_sha256(path)
    for name in ("three_faces.jpg", "crowd.jpg"):
        rgb, labelled = photo(name)
        float_found = np.array([[f.x0, f.y0, f.x1, f.y1] for f in detector.detect(rgb, 0.05)]).reshape(-1, 4)
        int8_found = np.array([[f.x0, f.y0, f.x1, f.y1] for f in int8.detect(rgb, 0.05)]).reshape(-1, 4)
        for x, y, w, h in labelled:
            face = np.array([x, y, x + w, y + h], float)
            if (box_iou(face, float_found) >= 0.4).any():
                assert (box_iou(face, int8_found) >= 0.4).any(), f"int8 misses the face at {x},{y} in {name}"


def test_unwritable_cache_is_a_clear_config_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    with pytest.raises(ConfigError, match="WARDSAFE_MODEL_CACHE"):
        ensure_int8_model(centerface.default_model_path(), not_a_folder)


def _wardsafe(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wardsafe", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_models_command_shows_both_files_and_prepare_is_idempotent(built) -> None:
    _, cache, path = built
    shown = _wardsafe("models", "show", WARDSAFE_MODEL_CACHE=str(cache), WARDSAFE_VIDEO_PRECISION="int8")
    assert shown.returncode == 0, shown.stderr
    assert centerface.file_sha256(path) in shown.stdout and str(path) in shown.stdout
    prepared = _wardsafe("models", "prepare", WARDSAFE_MODEL_CACHE=str(cache))
    assert prepared.returncode == 0 and "ready" in prepared.stdout and "building" not in prepared.stdout


def test_unknown_precision_is_refused_with_the_setting_named() -> None:
    run = _wardsafe("models", "show", WARDSAFE_VIDEO_PRECISION="half")
    assert run.returncode == 4
    assert "WARDSAFE_VIDEO_PRECISION must be float or int8" in run.stderr
