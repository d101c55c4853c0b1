"""People, not fragments: a plan offers each person once, and keeping a person keeps all of their face.

Tracks here are built from the real faces of the committed clip (``tests/fixtures/clip.mp4``: three
CC0 faces moving in lanes of their own, boxes in ``truth.json``), and their appearance from real
crops of its frames, so each test puts the tracker's typical failure (a face lost for a while, a
half face found beside the whole one, an ear at the low threshold) on real pixels. The last test
runs the real detector and tracker over the clip.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import av
import numpy as np
import pytest

from wardsafe.detect.registry import build_detectors
from wardsafe.detect.seam import RgbFrame
from wardsafe.redact.appearance import (
    AppearanceBook,
    appearance_crop,
    appearance_feature,
    frame_signature,
    is_cut,
    similarities,
    similarity,
)
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.people import (
    MOTION_LOOKS,
    group_people,
    people_from_report,
    people_report,
    tracks_for_people,
)
from wardsafe.redact.tracking import Observation, Track
from wardsafe.redact.video import redact_video

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FPS = 30.0
STRIDE = 5


@cache
def clip_frames() -> list[np.ndarray]:
    """Every frame of the committed clip as upright RGB."""
    with av.open(str(FIXTURES / "clip.mp4")) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@cache
def truth_boxes() -> list[list[tuple[float, float, float, float]]]:
    """Per frame, the three faces' boxes (x0, y0, x1, y1), always in the same order (one lane each)."""
    frames = json.loads((FIXTURES / "truth.json").read_text())["clip.mp4"]["boxes"]
    return [[(x, y, x + w, y + h) for x, y, w, h in boxes] for boxes in frames]


def face_track(track_id: int, face: int, frames: range, score: float = 0.8,
               part: tuple[float, float, float, float] = (0, 0, 1, 1)) -> Track:
    """A track on real face ``face`` over key frames ``frames``; ``part`` picks a fraction of its box."""
    observations = []
    for frame in frames:
        x0, y0, x1, y1 = truth_boxes()[frame][face]
        w, h = x1 - x0, y1 - y0
        box = (x0 + part[0] * w, y0 + part[1] * h, x0 + part[2] * w, y0 + part[3] * h)
        observations.append(Observation(frame, box, score))
    return Track(id=track_id, observations=observations)


def book_for(tracks: list[Track]) -> AppearanceBook:
    """Appearances as the video pipeline collects them: crops of each track's detections on its key frames."""
    book = AppearanceBook()
    for track in tracks:
        for obs in track.observations:
            book.add(track.id, appearance_crop(clip_frames()[obs.frame], obs.box), obs.score)
    return book


def keys(first: int, last: int) -> range:
    """Key frames from ``first`` to ``last`` inclusive."""
    return range(first, last + 1, STRIDE)


def person_of(people: list, track_id: int):
    (person,) = [p for p in people if track_id in p.track_ids]
    return person


# ------------------------------------------------------------------------------------- appearance


def test_one_face_looks_alike_across_the_clip_and_unlike_the_others() -> None:
    frames, boxes = clip_frames(), truth_boxes()
    early = [appearance_feature(appearance_crop(frames[0], boxes[0][face])) for face in range(3)]
    late = [appearance_feature(appearance_crop(frames[55], boxes[55][face])) for face in range(3)]
    for face in range(3):
        same = similarity(early[face], late[face])
        assert same >= MOTION_LOOKS, f"face {face} at frames 0 and 55: {same:.2f}"
        for other in range(3):
            if other != face:
                assert similarity(early[face], late[other]) < same


def test_all_pairs_at_once_are_the_pairs_one_by_one() -> None:
    frames, boxes = clip_frames(), truth_boxes()
    features = [appearance_feature(appearance_crop(frames[f], boxes[f][face])) for f in (0, 30) for face in range(3)]
    matrix = similarities(features)
    for i, a in enumerate(features):
        for j, b in enumerate(features):
            assert matrix[i, j] == pytest.approx(similarity(a, b))


def test_book_keeps_the_best_scoring_crops_of_each_track() -> None:
    book = AppearanceBook(per_track=2)
    crop = appearance_crop(clip_frames()[0], truth_boxes()[0][0])
    book.add(1, crop, 0.3)
    book.add(1, crop, 0.9)
    assert book.wants(1, 0.5) and not book.wants(1, 0.2)
    book.add(1, crop, 0.5)
    assert not book.wants(1, 0.4)
    assert book.feature(1) is not None and book.feature(2) is None
    assert 1 in book and len(book) == 1


def test_book_observes_the_tracks_detected_on_a_key_frame() -> None:
    track = face_track(7, face=1, frames=keys(0, 10))
    book = AppearanceBook()
    frame = RgbFrame(clip_frames()[10], index=10, still=False)
    book.observe([track, face_track(8, face=2, frames=keys(0, 5))], frame)  # track 8 ended before frame 10
    assert 7 in book and 8 not in book


def test_a_cut_is_told_from_the_next_frame_of_the_same_shot() -> None:
    frames = clip_frames()
    same = is_cut(frame_signature(RgbFrame(frames[0])), frame_signature(RgbFrame(frames[STRIDE])))
    other = np.ascontiguousarray(frames[0][::-1, ::-1, ::-1])  # another shot: turned, colours swapped
    assert not same
    assert is_cut(frame_signature(RgbFrame(frames[0])), frame_signature(RgbFrame(other)))
    book = AppearanceBook()
    for index, rgb in ((0, frames[0]), (5, frames[5]), (10, other)):
        book.new_shot(RgbFrame(rgb, index=index, still=False))
    assert book.cuts == [10]


# ----------------------------------------------------------------------------------------- grouping


def test_a_face_lost_for_a_while_is_one_person() -> None:
    # Face 0 is lost between frames 20 and 40 (the tracker gives up after its gap); faces 1 and 2 stay.
    tracks = [face_track(1, 0, keys(0, 20)), face_track(2, 1, keys(0, 55)),
              face_track(3, 2, keys(0, 55)), face_track(4, 0, keys(40, 55))]
    people = group_people(tracks, book_for(tracks), FPS)
    assert sorted(p.track_ids for p in people) == [[1, 4], [2], [3]]
    assert person_of(people, 1).first_frame == 0 and person_of(people, 4).last_frame == 55


def test_two_faces_on_screen_at_once_are_never_one_person_however_alike() -> None:
    # Two tracks over the same frames, given the very same appearance: still two people.
    tracks = [face_track(1, 0, keys(0, 30)), face_track(2, 2, keys(0, 30))]
    feature = appearance_feature(appearance_crop(clip_frames()[0], truth_boxes()[0][0]))
    people = group_people(tracks, {1: feature, 2: feature}, FPS)
    assert sorted(p.track_ids for p in people) == [[1], [2]]


def test_a_new_face_where_another_left_is_not_joined_when_it_looks_different() -> None:
    # Face 2 is lost at frame 20; at frame 30 a track starts just where face 2 then is, but what it
    # shows is face 1 (as when someone steps into the place another has just left).
    first, second = face_track(1, 2, keys(0, 20)), face_track(2, 2, keys(30, 55))
    book = AppearanceBook()
    for obs in first.observations:
        book.add(1, appearance_crop(clip_frames()[obs.frame], obs.box), obs.score)
    for frame in keys(30, 55):
        book.add(2, appearance_crop(clip_frames()[frame], truth_boxes()[frame][1]), 0.8)
    assert len(group_people([first, second], None, FPS)) == 1, "on motion alone they join"
    assert len(group_people([first, second], book, FPS)) == 2


def test_motion_does_not_join_tracks_across_a_cut() -> None:
    tracks = [face_track(1, 0, keys(0, 20)), face_track(2, 0, keys(30, 55))]
    assert len(group_people(tracks, None, FPS)) == 1
    assert len(group_people(tracks, None, FPS, cuts=[25])) == 2


def test_half_a_face_found_beside_the_whole_face_is_the_same_person() -> None:
    whole = face_track(1, 1, keys(0, 55))
    half = face_track(2, 1, keys(10, 40), score=0.6, part=(0.45, 0.0, 1.0, 1.0))
    other = face_track(3, 2, keys(0, 55))
    people = group_people([whole, half, other], book_for([whole, half, other]), FPS)
    assert sorted(p.track_ids for p in people) == [[1, 2], [3]]


def test_a_track_that_slid_half_off_a_face_while_a_new_one_took_it_is_the_same_person() -> None:
    # The tracker follows face 1 until frame 30, then its track slides half off the face (onto the hair
    # beside it) while a new track picks up the whole face: both are on screen at once, half overlapping.
    slid = face_track(1, 1, keys(0, 30))
    slid.observations += face_track(1, 1, keys(35, 55), score=0.5, part=(0.5, 0.0, 1.5, 1.0)).observations
    took_over = face_track(2, 1, keys(35, 55))
    other = face_track(3, 2, keys(0, 55))
    people = group_people([slid, took_over, other], book_for([slid, took_over, other]), FPS)
    assert sorted(p.track_ids for p in people) == [[1, 2], [3]]


def test_a_weak_track_on_a_face_joins_that_person_and_is_not_offered_alone() -> None:
    face = face_track(1, 1, keys(0, 55))
    ear = face_track(2, 1, keys(5, 45), score=0.08, part=(0.7, 0.3, 1.05, 0.8))  # never confirmed
    texture = Track(3, [Observation(f, (400.0, 200.0, 430.0, 230.0), 0.07) for f in keys(0, 30)])
    brief = face_track(4, 2, keys(20, 25), score=0.9)  # confirmed, but seen on two key frames only
    people = group_people([face, ear, texture, brief], book_for([face, ear, brief]), FPS)
    assert [p.track_ids for p in people] == [[1, 2]]
    assert tracks_for_people(people, [people[0].id]) == frozenset({1, 2})


def test_people_are_numbered_by_first_clear_sight_then_left_to_right() -> None:
    tracks = [face_track(1, 2, keys(0, 55)), face_track(2, 0, keys(10, 55)), face_track(3, 1, keys(0, 55))]
    people = group_people(tracks, book_for(tracks), FPS)
    assert [p.track_ids for p in people] == [[3], [1], [2]]  # face 1 is left of face 2 at frame 0
    assert [p.id for p in people] == [1, 2, 3]
    assert people[0].best == (3, tracks[2].best)
    assert people[0].boxes[0] == (0, *tracks[2].observations[0].box)


def test_every_confirmed_face_of_a_photo_is_a_person() -> None:
    faces = [Track(n + 1, [Observation(0, truth_boxes()[0][n], 0.5)]) for n in range(3)]
    weak = Track(4, [Observation(0, (400.0, 200.0, 430.0, 230.0), 0.05)])
    people = group_people([*faces, weak], None, fps=None)
    assert [p.track_ids for p in people] == [[1], [2], [3]]


def test_text_is_never_a_person_nor_kept_with_one() -> None:
    face = face_track(1, 0, keys(0, 55))
    badge = face_track(2, 0, keys(0, 55), score=0.9, part=(0.2, 0.6, 0.8, 0.9))
    badge.kind = "text"
    people = group_people([face, badge], None, FPS)
    assert [p.track_ids for p in people] == [[1]]


def test_keeping_an_unknown_person_says_which_people_there_are() -> None:
    tracks = [face_track(1, 0, keys(0, 55)), face_track(2, 1, keys(0, 55))]
    people = group_people(tracks, None, FPS)
    with pytest.raises(ValueError, match=r"no person 5 .*people: 1-2"):
        tracks_for_people(people, [1, 5])
    with pytest.raises(ValueError, match="no people were found"):
        tracks_for_people([], [1])


def test_the_plan_records_people_and_reads_them_back_for_keep() -> None:
    tracks = [face_track(1, 0, keys(0, 20)), face_track(2, 1, keys(0, 55)), face_track(3, 0, keys(40, 55))]
    people = group_people(tracks, book_for(tracks), FPS)
    entries = json.loads(json.dumps(people_report(people)))
    again = people_from_report(entries)
    assert [(p.id, p.track_ids, p.first_frame, p.last_frame) for p in again] == [
        (p.id, p.track_ids, p.first_frame, p.last_frame) for p in people]
    assert tracks_for_people(again, [person_of(people, 1).id]) == frozenset({1, 3})


# ------------------------------------------------------------------------------------- real tracks


def test_real_tracks_of_the_clip_are_its_three_people() -> None:
    options = RedactOptions()
    result = redact_video(FIXTURES / "clip.mp4", None, build_detectors(options), options, want_thumbnails=True)
    people = group_people(result.tracks, None, result.fps)
    assert len(people) == 3
    truth = truth_boxes()
    for face in range(3):
        # each true face is one person: most of that person's boxes lie on it
        matches = [p for p in people if sum(_hits(truth, face, b) for b in p.boxes) >= 0.8 * len(p.boxes)]
        assert len(matches) == 1, f"face {face}"


def _hits(truth: list, face: int, box: tuple[int, float, float, float, float]) -> bool:
    frame, x0, y0, x1, y1 = box
    tx0, ty0, tx1, ty1 = truth[frame][face]
    ix = max(0.0, min(x1, tx1) - max(x0, tx0))
    iy = max(0.0, min(y1, ty1) - max(y0, ty0))
    return ix * iy >= 0.3 * (tx1 - tx0) * (ty1 - ty0)
