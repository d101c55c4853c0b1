"""Parts cut on request (staff before release): blacked out on every frame of their time range and
silenced, the rest of the copy untouched; a region cut blacks out only its region."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from wardsafe.detect.registry import build_detectors
from wardsafe.media.image import read_image
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.options import Cut, RedactOptions
from wardsafe.redact.pipeline import run_job

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def faces_only() -> object:
    return build_detectors(RedactOptions(text="none", audio="keep"))


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


def _sound(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        chunks = [f.to_ndarray().reshape(-1, f.samples)[0] if f.format.is_planar else f.to_ndarray()[0, ::2]
                  for f in container.decode(audio=0)]
    return np.concatenate(chunks).astype(np.float64), rate


def test_a_cut_blacks_out_its_time_range_and_silences_it(tmp_path: Path, faces_only: object) -> None:
    source = FIXTURES / "clip.mp4"  # 2 s, 30 fps, with sound
    options = RedactOptions(text="none", audio="keep", cuts=(Cut(0.5, 1.0),))
    outcome = run_job(source, JobPaths.beside(tmp_path / "out.mp4"), faces_only, options)  # type: ignore[arg-type]
    frames = _frames(tmp_path / "out.mp4")
    assert len(frames) == 60, "a cut keeps the copy's length"
    cut = [i for i, f in enumerate(frames) if f.mean() < 20 and f.std() < 2]
    assert cut == list(range(15, 30)), "frames 0.5 s to 1.0 s, and only those, are black"
    assert outcome.report["summary"]["by_kind"]["cut"]["frames_hidden"] == 15
    assert outcome.report["options"]["cuts"] == [{"start_s": 0.5, "end_s": 1.0, "region": None}]
    sound, rate = _sound(tmp_path / "out.mp4")
    inside = sound[int(0.55 * rate): int(0.95 * rate)]
    outside = sound[int(1.1 * rate): int(1.9 * rate)]
    assert np.abs(inside).max() < 1e-3 < np.abs(outside).max(), "the cut part is silent, the rest is not"


def test_a_region_cut_on_a_photo_blacks_out_that_region_only(tmp_path: Path, faces_only: object) -> None:
    source = FIXTURES / "photo.png"
    options = RedactOptions(text="none", cuts=(Cut(0.0, 0.0, region=(0.5, 0.0, 1.0, 0.25)),))
    run_job(source, JobPaths.beside(tmp_path / "out.png"), faces_only, options)  # type: ignore[arg-type]
    image = read_image(tmp_path / "out.png")
    h, w = image.shape[:2]
    assert image[: h // 4, w // 2 :].max() == 0
    assert image[h // 2 :, : w // 2].max() > 0
