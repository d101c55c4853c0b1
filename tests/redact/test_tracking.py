"""The tracker keeps every face covered between, before and after its detections."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wardsafe.redact.tracking import Tracker, iou


def box_at(x: float, y: float = 100.0, size: float = 40.0) -> tuple[float, float, float, float]:
    return (x, y, x + size, y + size)


def run(tracker: Tracker, detections: dict[int, list], last: int, stride: int) -> None:
    for frame in range(0, last + 1, stride):
        tracker.update(frame, [(b, 0.9) for b in detections.get(frame, [])])
    tracker.finish(last)


def test_moving_face_is_one_track_interpolated_between_key_frames() -> None:
    tracker = Tracker(pad=4, max_gap=30)
    run(tracker, {f: [box_at(10 + 2 * f)] for f in range(0, 60, 3)}, last=59, stride=3)
    assert [t.id for t in tracker.tracks] == [1]
    (track_id, box), = tracker.boxes_at(31)
    assert track_id == 1
    assert abs(box[0] - (10 + 2 * 31)) < 1e-6  # exactly on the line between frames 30 and 33


def test_missed_detections_inside_the_gap_do_not_expose_the_face() -> None:
    tracker = Tracker(pad=4, max_gap=30)
    seen = {f: [box_at(100 + f)] for f in range(0, 90, 3) if not 30 <= f <= 50}  # 20 frames missed
    run(tracker, seen, last=89, stride=3)
    assert len(tracker.tracks) == 1, "the face found again is the same track"
    for frame in range(0, 90):
        assert tracker.boxes_at(frame), f"frame {frame} has no box"


def test_face_is_hidden_a_few_frames_before_first_and_after_last_detection() -> None:
    tracker = Tracker(pad=5, max_gap=9)
    run(tracker, {f: [box_at(200)] for f in range(30, 61, 3)}, last=120, stride=3)
    covered = [f for f in range(121) if tracker.boxes_at(f)]
    assert covered[0] == 25
    assert covered[-1] == 65


def test_a_track_still_open_at_the_end_is_carried_to_the_last_frame() -> None:
    tracker = Tracker(pad=2, max_gap=30)
    run(tracker, {f: [box_at(50)] for f in range(0, 40, 3)}, last=50, stride=3)
    assert tracker.boxes_at(50)


def test_two_faces_far_apart_are_two_tracks() -> None:
    tracker = Tracker(pad=2, max_gap=10)
    run(tracker, {f: [box_at(10), box_at(400)] for f in range(0, 30, 3)}, last=29, stride=3)
    assert len(tracker.tracks) == 2
    assert len(tracker.boxes_at(15)) == 2


def test_a_face_that_vanishes_as_another_appears_beside_it_stays_covered_where_it_was() -> None:
    """At a cut the tracker may join two different faces into one track: both must stay covered."""
    tracker = Tracker(pad=4, max_gap=30)
    old, new = box_at(100), box_at(125)  # near enough to be matched, too far apart to be one face
    run(tracker, {**{f: [old] for f in range(0, 31, 3)}, **{f: [new] for f in range(33, 61, 3)}}, last=60, stride=3)
    assert len(tracker.tracks) == 1, "the case under test: the two faces were joined"
    for frame in (31, 32):
        boxes = [box for _, box in tracker.boxes_at(frame)]
        for face in (old, new):
            assert any(iou(box, face) > 0.99 for box in boxes), f"{face} uncovered on frame {frame}"


@settings(max_examples=60, deadline=None)
@given(
    speed=st.floats(-6, 6),
    start=st.integers(0, 40),
    length=st.integers(2, 80),
    stride=st.integers(1, 5),
    misses=st.sets(st.integers(0, 200), max_size=6),
)
def test_any_steady_face_is_covered_on_every_frame_of_its_life(speed, start, length, stride, misses) -> None:
    """Property: a face moving steadily, detected on its key frames with a few misses, is never uncovered."""
    pad = stride + 2
    tracker = Tracker(pad=pad, max_gap=30)
    life = range(start, start + length)
    key_frames = [f for f in life if f % stride == 0]
    # The first two key frames are never missed: until a track has two detections it has no velocity,
    # and a fast face missed then is found again by the pipeline's close-up search (look_again), not here.
    detections = {f: [box_at(300 + speed * f)] for n, f in enumerate(key_frames) if n < 2 or f not in misses}
    if not detections:
        return
    run(tracker, detections, last=start + length + 40, stride=stride)
    first, last = min(detections), max(detections)
    for frame in range(first, last + 1):
        boxes = tracker.boxes_at(frame)
        assert boxes, f"frame {frame} uncovered"
        x_true = 300 + speed * frame
        assert any(b[0] - 1e-6 <= x_true and x_true + 40 <= b[2] + 1e-6 for _, b in boxes)


def test_the_motion_a_frame_is_hidden_with_does_not_change_with_later_detections() -> None:
    # A frame's hidden region is grown by its track's motion there; frames are written while detection runs
    # ahead on another thread, so that motion must not depend on how far detection has got.
    tracker = Tracker(pad=4, max_gap=30)
    for frame in (0, 5, 10):
        tracker.update(frame, [(box_at(10 + 2 * frame), 0.9)])
    track = tracker.tracks[0]
    before = track.velocity_at(7).tolist()
    tracker.update(15, [(box_at(10 + 2 * 10 + 30), 0.9)])  # it speeds up after frame 10
    assert track.velocity_at(7).tolist() == before == [2.0, 0.0, 2.0, 0.0]
    assert track.velocity_at(12).tolist() == [6.0, 0.0, 6.0, 0.0]
