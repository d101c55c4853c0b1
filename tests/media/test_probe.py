"""probe() on every committed fixture and on every kind of bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest

from media import bad_inputs
from wardsafe.errors import InputError
from wardsafe.media.metadata import identifying_tags, video_metadata
from wardsafe.media.probe import MediaInfo, probe

VIDEOS = ["clip.mp4", "clip_rot90.mp4", "clip_vfr.mp4", "clip_hevc.mov"]
PHOTOS = ["photo_exif.jpg", "photo.png", "photo.heic"]


@pytest.mark.parametrize("name", VIDEOS)
def test_probe_videos_match_truth(fixtures: Path, truth: dict, name: str) -> None:
    info = probe(fixtures / name)
    expected = truth[name]
    assert isinstance(info, MediaInfo)
    assert info.kind == "video"
    assert (info.width, info.height) == tuple(expected["size"])
    assert info.rotation == expected["rotation"]
    assert info.frames == expected["frames"]
    assert info.has_audio and info.audio_codec == "aac"
    assert info.duration_s == pytest.approx(expected["times"][-1] + 1 / 30, abs=0.05)
    assert info.fps == pytest.approx(expected["frames"] / info.duration_s, rel=0.05)


def test_probe_codecs_and_containers(fixtures: Path) -> None:
    assert (probe(fixtures / "clip.mp4").video_codec, probe(fixtures / "clip.mp4").container) == ("h264", "mp4")
    hevc = probe(fixtures / "clip_hevc.mov")
    assert (hevc.video_codec, hevc.container) == ("hevc", "mov")


def test_probe_rotated_video_reports_display_size(fixtures: Path) -> None:
    info = probe(fixtures / "clip_rot90.mp4")
    # Stored 480x270 (landscape); the display matrix turns it to portrait.
    assert (info.width, info.height, info.rotation) == (270, 480, 90)


def test_probe_variable_frame_rate_average(fixtures: Path, truth: dict) -> None:
    info = probe(fixtures / "clip_vfr.mp4")
    times = truth["clip_vfr.mp4"]["times"]
    gaps = {round(b - a, 3) for a, b in zip(times, times[1:], strict=False)}
    assert len(gaps) > 2  # the fixture really is variable-rate
    assert 20 < info.fps < 40


@pytest.mark.parametrize("name", VIDEOS)
def test_fixture_frame_times_match_truth(fixtures: Path, truth: dict, name: str) -> None:
    # The fixtures really are what truth.json says: every frame at its stated time (VFR included).
    with av.open(str(fixtures / name)) as container:
        times = [float(frame.time) for frame in container.decode(video=0)]
    assert times == pytest.approx(truth[name]["times"], abs=0.002)


@pytest.mark.parametrize("name", PHOTOS)
def test_probe_photos_match_truth(fixtures: Path, truth: dict, name: str) -> None:
    info = probe(fixtures / name)
    assert info.kind == "image"
    assert (info.width, info.height) == tuple(truth[name]["size"])
    assert info.rotation == truth[name]["rotation"]
    assert info.frames is None and info.video_codec is None and not info.has_audio


def test_probe_exif_rotated_photo(fixtures: Path) -> None:
    info = probe(fixtures / "photo_exif.jpg")
    # Stored 360x480 with orientation 6: displayed 480x360 after turning 90 degrees clockwise.
    assert (info.container, info.width, info.height, info.rotation) == ("jpeg", 480, 360, 90)


def test_probe_audio_file(tmp_path: Path) -> None:
    path = bad_inputs.audio_only_mp4(tmp_path, "memo.m4a")
    info = probe(path)
    assert (info.kind, info.audio_codec, info.width, info.video_codec) == ("audio", "aac", 0, None)
    assert info.duration_s == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize(("name", "codec", "container", "audio_codec"),
                         [("a.wav", "pcm_s16le", "wav", "pcm_s16le"), ("a.mp3", "libmp3lame", "mp3", "mp3")])
def test_probe_plain_audio(tmp_path: Path, name: str, codec: str, container: str, audio_codec: str) -> None:
    info = probe(bad_inputs.audio_file(tmp_path, name, codec))
    assert (info.kind, info.container, info.audio_codec) == ("audio", container, audio_codec)
    assert info.duration_s == pytest.approx(0.4, abs=0.1)


def test_probe_video_without_sound(tmp_path: Path) -> None:
    info = probe(bad_inputs.silent_copy(tmp_path))
    assert info.frames == 60 and not info.has_audio and info.audio_codec is None


def test_probe_faststart_video(tmp_path: Path) -> None:
    info = probe(bad_inputs.faststart_copy(tmp_path))
    assert info.frames == 60 and info.has_audio


def _refused(path: Path, *needles: str) -> str:
    with pytest.raises(InputError) as caught:
        probe(path)
    message = str(caught.value)
    assert "\n" not in message and message
    for needle in needles:
        assert needle in message, message
    return message


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nothere.mp4", "not found")


@pytest.mark.parametrize("name", ["empty.mp4", "empty.jpg", "empty.mov"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    _refused(bad_inputs.empty_file(tmp_path, name), name, "empty")


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "videos.mp4"
    folder.mkdir()
    _refused(folder, "not a file")


@pytest.mark.parametrize("name", ["clip.gif", "clip.avi", "clip"])
def test_unknown_suffix(tmp_path: Path, fixtures: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(fixtures / "clip.mp4", path)
    _refused(path, "unsupported file type")


@pytest.mark.parametrize("source", ["clip.mp4", "clip_hevc.mov"])
def test_truncated_video(tmp_path: Path, fixtures: Path, source: str) -> None:
    _refused(bad_inputs.truncated_copy(tmp_path, fixtures / source), "truncated")


def test_truncated_video_with_index_first(tmp_path: Path) -> None:
    # With the index first, FFmpeg opens the file and would silently return half the frames.
    full = bad_inputs.faststart_copy(tmp_path)
    _refused(bad_inputs.truncated_copy(tmp_path, full, name="cut_faststart.mp4"), "truncated")


def test_text_named_mp4(tmp_path: Path) -> None:
    _refused(bad_inputs.text_named(tmp_path), "not a media file", "text")


@pytest.mark.parametrize("name", ["noise.mp4", "noise.mov", "noise.m4a"])
def test_random_bytes(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(InputError):
        probe(path)


def test_non_utf8_tags_are_tolerated(tmp_path: Path, fixtures: Path) -> None:
    # Some cameras write Latin-1 tags; the demuxer must still open the file.
    data = (fixtures / "clip.mp4").read_bytes()
    at = data.index(b"iPhone 13")
    path = tmp_path / "latin1.mp4"
    path.write_bytes(data[:at] + b"iPh\xf6ne 13" + data[at + 9 :])
    assert probe(path).frames == 60
    assert "container:model" in identifying_tags(video_metadata(path))


def test_audio_only_named_mp4(tmp_path: Path) -> None:
    _refused(bad_inputs.audio_only_mp4(tmp_path), "has no video track")


@pytest.mark.parametrize(
    ("source", "name", "content"),
    [
        ("photo.png", "photo.mp4", "PNG image"),
        ("photo_exif.jpg", "photo.mov", "JPEG image"),
        ("photo.heic", "photo.mp4", "HEIC image"),
    ],
)
def test_photo_named_as_video(tmp_path: Path, fixtures: Path, source: str, name: str, content: str) -> None:
    _refused(bad_inputs.renamed(tmp_path, fixtures / source, name), content, "not an MP4/MOV video")


@pytest.mark.parametrize(("source", "name"), [("clip.mp4", "clip.jpg"), ("clip_hevc.mov", "clip.heic")])
def test_video_named_as_photo(tmp_path: Path, fixtures: Path, source: str, name: str) -> None:
    _refused(bad_inputs.renamed(tmp_path, fixtures / source, name), "MP4/MOV video")


def test_text_named_jpg(tmp_path: Path) -> None:
    _refused(bad_inputs.text_named(tmp_path, "notes.jpg"), "text")


def test_photo_with_other_photo_extension_is_read_by_content(tmp_path: Path, fixtures: Path) -> None:
    # A PNG saved as .jpg is harmless: the content decides the decoder, the output suffix the encoder.
    info = probe(bad_inputs.renamed(tmp_path, fixtures / "photo.png", "photo.jpg"))
    assert info.container == "png" and info.width == 320


def test_unknown_codec(tmp_path: Path) -> None:
    _refused(bad_inputs.unknown_codec_mp4(tmp_path), "codec", "wsx1", "cannot be decoded")


def test_garbage_video_data(tmp_path: Path) -> None:
    _refused(bad_inputs.garbage_video_data(tmp_path), "cannot be decoded")


@pytest.mark.parametrize("make", [bad_inputs.huge_png_header, bad_inputs.png_bomb, bad_inputs.jpeg_bomb])
def test_decompression_bomb(tmp_path: Path, make) -> None:
    path = make(tmp_path)
    assert path.stat().st_size < 200_000
    # The "too large" message (not "damaged"/"truncated") shows it was refused from the header.
    _refused(path, "too large", "900,000,000 pixels", "decompression bomb")


def test_just_below_limit_is_accepted(tmp_path: Path) -> None:
    # 10000 x 10000 = 100 MP exactly: allowed (probe reads the header only, so this stays cheap).
    info = probe(bad_inputs.huge_png_header(tmp_path, 10000, 10000))
    assert (info.width, info.height) == (10000, 10000)
    _refused(bad_inputs.huge_png_header(tmp_path, 10000, 10001, "over.png"), "too large")
