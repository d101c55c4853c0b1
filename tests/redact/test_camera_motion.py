"""The camera's motion is followed frame by frame, and text tracks move with it between readings."""

from __future__ import annotations

import numpy as np

from bench_scenes import make_scene, scenes
from wardsafe.detect.seam import RgbFrame
from wardsafe.redact.camera_motion import CameraPath
from wardsafe.redact.tracking import Tracker, iou


def panned_path(frames: int = 31, width: int = 1200, out_w: int = 960) -> tuple[CameraPath, list[int]]:
    """A camera path observed on a real pan across a generated ward scene, and where the camera was on each frame."""
    scene = make_scene(2, width, 540, cards=("monitor", "whiteboard", "exit"))
    path = CameraPath()
    xs = []
    for n, (rgb, _words) in enumerate(scenes.pan_frames(scene, out_w, 540, frames)):
        path.observe(RgbFrame(rgb, index=n, still=False))
        xs.append(round((width - out_w) * n / (frames - 1)))
    return path, xs


def test_a_pan_is_followed_to_within_a_few_pixels() -> None:
    path, xs = panned_path()
    for n, x in enumerate(xs):
        dx, dy = path.offset(n)
        assert abs(dx + x) < 3 and abs(dy) < 2, f"frame {n}: {dx:.1f}, {dy:.1f} for a camera at {x}"


def test_a_blank_picture_does_not_move() -> None:
    path = CameraPath()
    for n in range(3):
        path.observe(RgbFrame(np.full((180, 320, 3), 128, np.uint8), index=n, still=False))
    assert np.allclose(path.offset(2), 0)


def test_a_word_read_every_15_frames_on_a_pan_stays_one_track_and_moves_with_the_camera() -> None:
    path, xs = panned_path()
    word = (600.0, 100.0, 660.0, 120.0)  # 60 px wide, moving 8 px a frame: 120 px between readings
    tracker = Tracker(pad=20, max_gap=25, camera=path, fixed_kinds=frozenset({"text"}))
    for frame in (0, 15, 30):
        x = xs[frame]
        tracker.update(frame, [((word[0] - x, word[1], word[2] - x, word[3]), 1.0)], kind="text")
    tracker.finish(30)
    assert len(tracker.tracks) == 1
    for frame in range(31):
        x = xs[frame]
        true = (word[0] - x, word[1], word[2] - x, word[3])
        assert any(iou(box, true) > 0.8 for _tid, box in tracker.boxes_at(frame)), f"frame {frame}"
    # Carried before its first reading and after its last with the camera too, not left where it was read.
    (_tid, before), = Tracker.boxes_at(tracker, 0)
    assert before[0] == word[0]


def test_faces_do_not_follow_the_camera() -> None:
    path, _xs = panned_path()
    tracker = Tracker(pad=5, max_gap=10, camera=path, fixed_kinds=frozenset({"text"}))
    tracker.update(10, [((100.0, 100.0, 140.0, 140.0), 0.9)], kind="face")
    tracker.finish(30)
    (_tid, box), = tracker.boxes_at(14)
    assert box == (100.0, 100.0, 140.0, 140.0)
