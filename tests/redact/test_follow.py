"""A head the detector loses is followed by its last detected look (wardsafe.redact.follow), on real
pixels: found where it moved, not where it has gone, and never from a weak look that took a track over."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from wardsafe.detect.seam import RgbFrame
from wardsafe.redact.follow import FOLLOWED_SCORE, Follower
from wardsafe.redact.tracking import Observation, Track, Tracker

FIXTURE = Path(__file__).parents[1] / "fixtures" / "hard_faces"
# the masked, goggled face of the hard-faces fixture (see its SOURCE.md), and the face-free background
IMAGE, FACE = "goggles_maksssksksss480.jpg", (133, 189, 110, 152)
W, H = 640, 360


def _frame(index: int, at: tuple[int, int] | None) -> tuple[RgbFrame, tuple[float, float, float, float]]:
    """The background with the face (64 px wide) pasted with its top-left at ``at`` (none if None)."""
    x, y, w, h = FACE
    face = Image.open(FIXTURE / IMAGE).convert("RGB").crop((x, y, x + w, y + h)).resize((64, 88))
    picture = Image.open(FIXTURE / "background.jpg").convert("RGB").resize((W, H))
    box = (0.0, 0.0, 0.0, 0.0)
    if at is not None:
        picture.paste(face, at)
        box = (float(at[0]), float(at[1]), float(at[0] + 64), float(at[1] + 88))
    return RgbFrame(np.asarray(picture), index=index), box


def _track(box: tuple[float, float, float, float], scores: list[float]) -> Track:
    return Track(id=1, observations=[Observation(5 * n, box, s) for n, s in enumerate(scores)])


def test_a_lost_face_is_found_where_it_moved_and_not_where_it_is_gone() -> None:
    first, box = _frame(5, (200, 120))
    follower = Follower()
    track = _track(box, [0.3, 0.4])
    follower.remember([track], first, "face", 0.05)

    moved, moved_box = _frame(10, (214, 126))  # 14 px right, 6 down: about where the track expects it
    (found, score), = follower.follow(moved, [(track, box)], [])
    assert score == FOLLOWED_SCORE
    assert max(abs(a - b) for a, b in zip(found, moved_box, strict=True)) <= 3

    gone, _ = _frame(10, None)  # the person left: the background where they were does not match
    assert follower.follow(gone, [(track, box)], []) == []

    # a face already found there (by the detector, as another track) is not found twice
    assert follower.follow(moved, [(track, box)], [moved_box]) == []


def test_a_weak_detection_that_took_the_track_over_is_not_its_look() -> None:
    first, box = _frame(5, (200, 120))
    follower = Follower()
    follower.remember([_track(box, [0.8, 0.06])], first, "face", 0.05)  # 0.06 after 0.8: texture, not the face
    moved, _ = _frame(10, (210, 120))
    assert follower.follow(moved, [(_track(box, [0.8, 0.06]), box)], []) == []


def test_a_track_does_not_take_a_detection_scoring_five_times_more_or_less() -> None:
    tracker = Tracker(pad=4, max_gap=30)
    box = (100.0, 100.0, 140.0, 140.0)
    for frame in (0, 5, 10):
        tracker.update(frame, [(box, 0.08)])  # texture
    tracker.update(15, [(box, 0.8)])  # a face passing over it: a track of its own
    assert [len(t.observations) for t in tracker.tracks] == [3, 1]
    tracker.update(20, [(box, 0.7)])  # the face's track goes on
    tracker.update(25, [(box, 0.1)])  # and does not take what it uncovers
    assert [len(t.observations) for t in tracker.tracks] == [4, 2]
    assert tracker.tracks[0].observations[-1].score == 0.1
    # a followed place (score 0) is no detection: it continues the track it was found for
    tracker.update(30, [(box, FOLLOWED_SCORE), (box, 0.1)])
    assert sum(len(t.observations) for t in tracker.tracks) == 8
