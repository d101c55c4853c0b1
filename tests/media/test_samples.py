"""The samples shipped for `make run` are real, small, readable and carry phone metadata to strip."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from wardsafe.media.image import image_metadata
from wardsafe.media.metadata import identifying_tags, video_metadata
from wardsafe.media.probe import probe

SAMPLES = Path(str(resources.files("wardsafe.samples")))


def test_sample_photo() -> None:
    path = SAMPLES / "ward_photo.jpg"
    info = probe(path)
    assert info.kind == "image" and info.width >= 400 and path.stat().st_size < 1_000_000
    assert image_metadata(path)["gps"]  # so the demo shows location being removed


def test_sample_clip() -> None:
    path = SAMPLES / "ward_clip.mp4"
    info = probe(path)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (640, 360, "h264", "aac")
    assert 3.0 <= info.duration_s <= 4.0 and info.fps == 30
    assert path.stat().st_size < 1_000_000
    assert "container:location" in identifying_tags(video_metadata(path))


def test_samples_state_their_licence() -> None:
    text = (SAMPLES / "SOURCE.md").read_text()
    assert "CC0" in text
