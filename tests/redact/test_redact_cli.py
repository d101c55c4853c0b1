"""``wardsafe redact`` end to end: the real command on real photos and videos.

Each test checks what a user would: faces in the output are unrecognisable (the project's
scoring rule), size, frame count, timing and sound survive, metadata is gone, and bad input
gets one clear line, a non-zero exit and no output file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from face_scoring import destroyed, gray
from media.bad_inputs import (
    FIXTURES,
    audio_only_mp4,
    empty_file,
    png_bomb,
    text_named,
    truncated_copy,
    truncated_jpeg,
    unknown_codec_mp4,
)
from wardsafe.media.image import image_metadata, read_image
from wardsafe.media.metadata import identifying_tags, video_metadata
from wardsafe.media.probe import probe

TRUTH = json.loads((FIXTURES / "truth.json").read_text())


def wardsafe(*args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wardsafe", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})


def video_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def frame_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(f.time) for f in container.decode(video=0)]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


def assert_faces_destroyed(before: np.ndarray, after: np.ndarray, boxes: list[list[int]], where: str) -> None:
    a, b = gray(before), gray(after)
    for x, y, w, h in boxes:
        assert destroyed(a[y : y + h, x : x + w], b[y : y + h, x : x + w]), f"face {x},{y} readable {where}"


@pytest.mark.parametrize("name,out_name", [("photo_exif.jpg", "out.jpg"), ("photo.png", "out.png"),
                                           ("photo.heic", "out.jpg")])
def test_photo_faces_hidden_and_metadata_gone(tmp_path: Path, name: str, out_name: str) -> None:
    out = tmp_path / out_name
    run = wardsafe("redact", FIXTURES / name, "-o", out)
    assert run.returncode == 0, run.stderr
    truth = TRUTH[name]
    before, after = read_image(FIXTURES / name), read_image(out)
    assert after.shape[1::-1] == tuple(truth["size"])  # upright, as the phone showed it
    assert_faces_destroyed(before, after, truth["boxes"], f"in {name}")
    assert image_metadata(out) == {}
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert report["summary"]["faces_hidden"] >= len(truth["boxes"])
    assert report["output"]["metadata_removed"], "the report says what metadata was removed"
    assert {m["kind"] for m in report["models"]} == {"face", "text"}  # faces, and written identifiers (default)
    assert len(report["models"][0]["sha256"]) == 64
    assert "key_frames" not in report["models"][0], "a photo loads no video model"
    # far from every face the picture is unchanged (a JPEG round trip aside)
    far = np.ones(before.shape[:2], bool)
    for x, y, w, h in truth["boxes"]:
        far[max(0, y - h) : y + 2 * h, max(0, x - w) : x + 2 * w] = False
    changed = np.abs(gray(before) - gray(after))[far] > 25
    assert changed.mean() < 0.02


@pytest.mark.parametrize("kind", ["pixelate", "solid"])
def test_other_filters_hide_faces(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out.png"
    assert wardsafe("redact", FIXTURES / "photo.png", "-o", out, "--filter", kind, "--quiet").returncode == 0
    assert_faces_destroyed(read_image(FIXTURES / "photo.png"), read_image(out), TRUTH["photo.png"]["boxes"], kind)


def test_video_every_face_hidden_on_every_frame_with_sound_and_timing_kept(tmp_path: Path) -> None:
    src, out = FIXTURES / "clip.mp4", tmp_path / "clip.mp4"
    run = wardsafe("redact", src, "-o", out)
    assert run.returncode == 0, run.stderr
    assert "redacted clip.mp4" in run.stdout
    before, after = video_frames(src), video_frames(out)
    assert len(after) == len(before) == TRUTH["clip.mp4"]["frames"]
    assert after[0].shape == before[0].shape
    for k, boxes in enumerate(TRUTH["clip.mp4"]["boxes"]):
        assert_faces_destroyed(before[k], after[k], boxes, f"on frame {k}")
    with av.open(str(src)) as a, av.open(str(out)) as b:
        assert b.streams.video[0].average_rate == a.streams.video[0].average_rate
        assert len(b.streams.audio) == 1, "the sound track is kept"
        assert abs(float(b.duration - a.duration)) / 1e6 < 0.1
    assert identifying_tags(video_metadata(src)), "the fixture carries location/device tags"
    assert identifying_tags(video_metadata(out)) == {}
    report = json.loads((tmp_path / "clip.report.json").read_text())
    assert report["input"]["frames"] == len(before)
    assert report["output"]["audio_kept"] is True
    assert any("location" in name for name in report["output"]["metadata_removed"])
    assert "+51." not in json.dumps(report), "the report names removed tags, never their values"
    faces = report["models"][0]
    key_frames = faces["key_frames"]  # by default video key frames run the int8 copy
    assert faces["kind"] == "face"
    assert "int8" in key_frames["name"] and key_frames["sha256"] != faces["sha256"]


def test_float_precision_setting_runs_video_key_frames_on_the_float_model(tmp_path: Path) -> None:
    src, out = FIXTURES / "clip.mp4", tmp_path / "clip.mp4"
    run = wardsafe("redact", src, "-o", out, "--quiet", WARDSAFE_VIDEO_PRECISION="float")
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "clip.report.json").read_text())
    faces = report["models"][0]
    assert faces["key_frames"]["sha256"] == faces["sha256"]
    before, after = video_frames(src), video_frames(out)
    for k, boxes in enumerate(TRUTH["clip.mp4"]["boxes"]):
        assert_faces_destroyed(before[k], after[k], boxes, f"on frame {k}")


def test_rotated_phone_video_comes_out_upright(tmp_path: Path) -> None:
    import imageio_ffmpeg

    src, out = FIXTURES / "clip_rot90.mp4", tmp_path / "rot.mp4"
    assert wardsafe("redact", src, "-o", out, "--quiet").returncode == 0
    first = video_frames(out)[0]
    w, h = TRUTH["clip_rot90.mp4"]["size"]
    assert first.shape[:2] == (h, w)
    # FFmpeg's own player logic (autorotate) is the reference for what "upright" means.
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(src), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    reference = np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(np.float32)
    background = np.ones((h, w), bool)  # compare away from the (blurred) heads
    for x, y, bw, bh in TRUTH["clip_rot90.mp4"]["boxes"][0]:
        background[max(0, y - bh) : y + 2 * bh, max(0, x - bw) : x + 2 * bw] = False
    error = np.abs(reference - first)[background].mean()
    flipped = np.abs(reference[::-1, ::-1] - first)[background].mean()
    assert error < 6 and error < flipped / 3
    assert probe(out).rotation == 0, "no display matrix left to rotate it again"
    assert_faces_destroyed(reference.astype(np.uint8), first,
                           TRUTH["clip_rot90.mp4"]["boxes"][0], "on the rotated clip")


def test_variable_frame_rate_timestamps_are_kept(tmp_path: Path) -> None:
    src, out = FIXTURES / "clip_vfr.mp4", tmp_path / "vfr.mp4"
    assert wardsafe("redact", src, "-o", out, "--quiet").returncode == 0
    a, b = frame_times(src), frame_times(out)
    assert len(a) == len(b)
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 0.002


def test_hevc_mov_to_mp4_format_follows_extension(tmp_path: Path) -> None:
    out = tmp_path / "iphone.mp4"
    assert wardsafe("redact", FIXTURES / "clip_hevc.mov", "-o", out, "--quiet").returncode == 0
    with av.open(str(out)) as container:
        assert container.format.name.startswith("mov,mp4")
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.video[0].frames == TRUTH["clip_hevc.mov"]["frames"]


def test_plan_then_keep_one_face(tmp_path: Path) -> None:
    src = FIXTURES / "clip.mp4"
    plan = wardsafe("redact", src, "-o", tmp_path / "clip.mp4", "--plan")
    assert plan.returncode == 0, plan.stderr
    assert not (tmp_path / "clip.mp4").exists(), "a plan renders nothing"
    sheet = Image.open(tmp_path / "clip.plan.png")
    assert sheet.width > 100 and sheet.height > 100
    plan_json = json.loads((tmp_path / "clip.plan.json").read_text())
    people = plan_json["people"]
    assert len(people) == len(TRUTH["clip.mp4"]["boxes"][0]), "one entry per person, not per track fragment"
    assert sorted(t for p in people for t in p["track_ids"]) == sorted(set(t for p in people for t in p["track_ids"]))
    # the person whose face covers truth face 0 on frame 0
    x, y, w, h = TRUTH["clip.mp4"]["boxes"][0][0]
    cx, cy = x + w / 2, y + h / 2
    keep = next(p["id"] for p in people if p["boxes"][0][0] == 0
                and p["boxes"][0][1] <= cx <= p["boxes"][0][3] and p["boxes"][0][2] <= cy <= p["boxes"][0][4])
    run = wardsafe("redact", src, "-o", tmp_path / "kept.mp4", "--keep", str(keep))
    assert run.returncode == 0, run.stderr
    before, after = video_frames(src), video_frames(tmp_path / "kept.mp4")
    readable = 0
    for k, boxes in enumerate(TRUTH["clip.mp4"]["boxes"]):
        x, y, w, h = boxes[0]
        readable += not destroyed(gray(before[k])[y : y + h, x : x + w], gray(after[k])[y : y + h, x : x + w])
        assert_faces_destroyed(before[k], after[k], boxes[1:], f"(other faces) on frame {k}")
    assert readable >= 0.9 * len(before), "the kept face stays visible"


@pytest.mark.parametrize("kept", [0, 1, 2, 3])
def test_keeping_one_person_in_a_photo_leaves_their_face_and_hides_every_other(tmp_path: Path, kept: int) -> None:
    src, truth = FIXTURES / "photo_exif.jpg", TRUTH["photo_exif.jpg"]["boxes"]
    plan = wardsafe("redact", src, "-o", tmp_path / "out.jpg", "--plan")
    assert plan.returncode == 0, plan.stderr
    people = json.loads((tmp_path / "out.plan.json").read_text())["people"]
    for fx, fy, fw, fh in truth:  # every face is offered, once
        assert sum(p["boxes"][0][1] <= fx + fw / 2 <= p["boxes"][0][3] and p["boxes"][0][2] <= fy + fh / 2
                   <= p["boxes"][0][4] for p in people) == 1
    x, y, w, h = truth[kept]
    person = next(p["id"] for p in people if p["boxes"][0][1] <= x + w / 2 <= p["boxes"][0][3]
                  and p["boxes"][0][2] <= y + h / 2 <= p["boxes"][0][4])
    run = wardsafe("redact", src, "-o", tmp_path / "out.jpg", "--keep", str(person))
    assert run.returncode == 0, run.stderr
    before, after = gray(read_image(src)), gray(read_image(tmp_path / "out.jpg"))
    assert not destroyed(before[y : y + h, x : x + w], after[y : y + h, x : x + w]), "the kept face is intact"
    for n, (x, y, w, h) in enumerate(truth):
        if n != kept:
            assert destroyed(before[y : y + h, x : x + w], after[y : y + h, x : x + w]), f"face {n} hidden"
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert report["summary"]["kept_people"] == [person]
    assert report["summary"]["faces_kept"] >= 1


def test_keep_of_a_person_the_plan_does_not_offer_is_an_error(tmp_path: Path) -> None:
    run = wardsafe("redact", FIXTURES / "clip.mp4", "-o", tmp_path / "kept.mp4", "--keep", "99")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == ["error: clip.mp4: --keep: no person 99 in the plan (people: 1-3)"]
    assert list(tmp_path.iterdir()) == [], "no output, no report, no leftovers"


def test_keep_accepts_several_ids_after_one_flag(tmp_path: Path) -> None:
    run = wardsafe("redact", FIXTURES / "photo.png", "-o", tmp_path / "o.png", "--keep", "1", "2")
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "o.report.json").read_text())
    assert report["options"]["keep"] == [1, 2]


def test_folder_of_inputs_into_output_folder(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("photo.png", "clip.mp4"):
        (inbox / name).write_bytes((FIXTURES / name).read_bytes())
    run = wardsafe("redact", inbox, "-o", tmp_path / "out", "--quiet")
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "clip.mp4", "clip.report.json", "photo.png", "photo.report.json"]


def test_default_output_is_beside_the_input(tmp_path: Path) -> None:
    src = tmp_path / "ward.png"
    src.write_bytes((FIXTURES / "photo.png").read_bytes())
    assert wardsafe("redact", src, "--quiet").returncode == 0
    assert (tmp_path / "ward.redacted.png").is_file()
    assert (tmp_path / "ward.redacted.report.json").is_file()


BAD_INPUTS = {
    "empty": lambda d: empty_file(d),
    "truncated video": lambda d: truncated_copy(d),
    "text named .mp4": lambda d: text_named(d),
    "audio only": lambda d: audio_only_mp4(d),
    "decompression bomb": lambda d: png_bomb(d),
    "unreadable codec": lambda d: unknown_codec_mp4(d),
    "truncated photo": lambda d: truncated_jpeg(d),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_one_clear_line_and_no_output(tmp_path: Path, case: str) -> None:
    src = BAD_INPUTS[case](tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / f"result{src.suffix}"
    run = wardsafe("redact", src, "-o", out)
    assert run.returncode not in (0, 1), run.stdout  # 1 would be an unexpected failure
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and src.name in lines[0], run.stderr
    assert "Traceback" not in run.stderr
    assert list(out_dir.iterdir()) == []


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    good.write_bytes((FIXTURES / "photo.png").read_bytes())
    bad = empty_file(tmp_path, "bad.mp4")
    run = wardsafe("redact", good, bad, "-o", tmp_path / "out", "--quiet")
    assert run.returncode != 0
    assert "bad.mp4" in run.stderr
    assert (tmp_path / "out" / "good.png").is_file()
    assert not (tmp_path / "out" / "bad.mp4").exists()
    assert leftovers(tmp_path / "out") == []


def test_photo_cannot_be_written_as_video(tmp_path: Path) -> None:
    run = wardsafe("redact", FIXTURES / "photo.png", "-o", tmp_path / "x.mp4")
    assert run.returncode == 2
    assert "cannot write a photo" in run.stderr
    assert list(tmp_path.iterdir()) == []
