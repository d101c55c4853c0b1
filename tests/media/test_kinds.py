"""media_kind by suffix, sniff by content, ISO box headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from media import bad_inputs
from wardsafe.errors import InputError
from wardsafe.media.isobmff import missing_bytes, track_codecs
from wardsafe.media.kinds import AUDIO_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES, media_kind, sniff_file


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.jpg", "image"), ("a.JPEG", "image"), ("a.png", "image"), ("a.HEIC", "image"), ("a.heif", "image"),
     ("a.mp4", "video"), ("a.MOV", "video"), ("a.m4v", "video"), ("a.m4a", "audio"), ("a.mp3", "audio"),
     ("a.wav", "audio")],
)
def test_media_kind(name: str, kind: str) -> None:
    assert media_kind(Path(name)) == kind


@pytest.mark.parametrize("name", ["a.gif", "a.txt", "a", "a.mp4.part"])
def test_unknown_suffix(name: str) -> None:
    with pytest.raises(InputError, match="unsupported file type"):
        media_kind(Path(name))


def test_suffix_sets_are_disjoint() -> None:
    assert not (IMAGE_SUFFIXES & VIDEO_SUFFIXES) and not (VIDEO_SUFFIXES & AUDIO_SUFFIXES)


def test_sniff_fixtures(tmp_path: Path, fixtures: Path) -> None:
    assert sniff_file(fixtures / "photo_exif.jpg") == "JPEG image"
    assert sniff_file(fixtures / "photo.png") == "PNG image"
    assert sniff_file(fixtures / "photo.heic") == "HEIC image"
    assert sniff_file(fixtures / "clip.mp4") == "MP4/MOV video"
    assert sniff_file(fixtures / "clip_hevc.mov") == "MP4/MOV video"
    assert sniff_file(bad_inputs.text_named(tmp_path)) == "text"
    (tmp_path / "u.bin").write_bytes(bytes(range(200, 256)))
    assert sniff_file(tmp_path / "u.bin") == "unknown data"
    (tmp_path / "t.mp4").write_bytes("Überweisung äöü".encode()[:17])  # cut inside a character
    assert sniff_file(tmp_path / "t.mp4") == "text"


def test_missing_bytes_and_track_codecs(tmp_path: Path, fixtures: Path) -> None:
    assert missing_bytes(fixtures / "clip.mp4") == 0
    size = (fixtures / "clip.mp4").stat().st_size
    # The index (moov) comes last in this file and is cut off whole, so only the media data's shortfall counts.
    assert 0 < missing_bytes(bad_inputs.truncated_copy(tmp_path)) <= size - size // 2
    assert track_codecs(fixtures / "clip.mp4") == [("vide", "avc1"), ("soun", "mp4a")]
    assert track_codecs(fixtures / "clip_hevc.mov") == [("vide", "hvc1"), ("soun", "mp4a")]
