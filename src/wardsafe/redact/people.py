"""People, not fragments: the face tracks of one person joined, so a plan offers each person once.

The tracker starts a new track whenever it loses a face for long (an occlusion, a turn, a cut, a
pan away and back) and, at the low video threshold, for every ear, half face or patch of texture.
A plan that lists tracks offers hundreds of entries for a few people, and keeping one person means
finding all their tracks. :func:`group_people` joins the tracks of one face:

1. Only confirmed face tracks (best score >= ``confirm``) can be people; the rest may be texture.
   Each is taken from its first to its last confirmed detection: before and after, the tracker may
   have followed texture, or drifted off the face while another track took it over.
2. A confirmed track whose box lies inside another's on the frames they share is a fragment of
   that face (a half face found beside the whole one): they are one person.
3. A track that ends, and one that starts after it, are one person when the face did not jump: it
   reappears about where its motion led, at a consistent size, looking alike (see
   :mod:`wardsafe.redact.appearance`); or, after a cut or a longer gap, it looks very alike. Two
   tracks seen on the same frame are never one person (unless nested).
4. A group is offered when seen clearly (``min_detections`` key frames scoring ``offer_score``).
   Every other face track, weak or brief, joins the person whose face it lies on, so that keeping a
   person keeps every fragment of their face; whatever joins no person stays hidden.

Only tracks of kind "face" are considered: text is never a person, and is never kept with one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from wardsafe.detect.boxes import Box, area
from wardsafe.redact.appearance import AppearanceBook, similarities
from wardsafe.redact.tracking import Observation, Track

PersonBox = tuple[int, float, float, float, float]  # frame, x0, y0, x1, y1

# Score a face track must reach once to be a person (the face detector's confirm score).
CONFIRM_SCORE = 0.15
# A person is offered when seen clearly: on at least MIN_DETECTIONS key frames with a score of at least
# OFFER_SCORE. Faces seen only at 0.15-0.4 were half faces at a crop's edge, blurred masks and texture;
# on the 720p clip (10 people) and the pan over group photos (34 people) this offered 11 and 28 people,
# against 14 and 46 when any three confirmed detections sufficed, and left out no one of the 720p clip.
OFFER_SCORE = 0.4
MIN_DETECTIONS = 5
# Nested boxes: the smaller lies this much inside the larger, on this share of the shared frames, and
# is at least NESTED_AREA of its area (a half face or an ear is; a small face passing in front of, or
# behind, a large one is not: on the 720p clip a 26 px face crossed a 109 px one, 6% of its area).
NESTED_INSIDE = 0.6
NESTED_SHARE = 0.8
NESTED_AREA = 0.15
# Overlapping boxes: two tracks on one face at once, each box at least OVERLAP_INSIDE inside the other
# (of the smaller) on OVERLAP_SHARE of the shared frames. A track that slid onto half the face while a
# new one took the whole face does this; two people's faces do not, except while one passes in front.
# On the 720p make_clip clip every such pair of confirmed tracks showed one person (4 pairs, 4 people).
OVERLAP_INSIDE = 0.4
OVERLAP_SHARE = 0.5
# Joining across a gap by motion: the face reappears within this many face sizes of where its motion
# led (growing with the gap), at most this much larger or smaller, and at most MOTION_GAP_S later.
MOTION_NEAR = 0.6
MOTION_NEAR_PER_S = 1.0
MOTION_SIZE = 1.4
MOTION_SIZE_PER_S = 0.5
MOTION_GAP_S = 2.0
# Boxes of small faces jitter by several pixels and by half their size: distances and size ratios
# are measured as if a face were at least this many pixels across.
MOTION_MIN_SIDE = 24.0
# Motion is extrapolated for at most this long: a face that left rarely keeps its direction.
EXTRAPOLATE_S = 0.5
# Appearance (see wardsafe.redact.appearance.similarity): a motion join needs at least MOTION_LOOKS;
# a join on looks alone (the face is back somewhere else) needs LOOKS_ALIKE and a gap of LOOKS_GAP_S
# at most. Measured on the 720p make_clip clip and a pan over group photos: one face's tracks scored
# 0.57-0.99, two people's 0.48 at the median and 0.85 at the 99th percentile (masks, same lighting).
MOTION_LOOKS = 0.6
# A face under LOOKS_MIN_SIDE pixels gives a coarse feature (0.50 for one 20 px face on the 720p clip
# as it turned at the frame's edge): a motion join then needs only SMALL_MOTION_LOOKS.
LOOKS_MIN_SIDE = 32.0
SMALL_MOTION_LOOKS = 0.45
LOOKS_ALIKE = 0.92
LOOKS_GAP_S = 10.0
# A weak track joins the person whose face box (grown by this fraction) holds its centre on at
# least WEAK_ON_FACE of its detections, if its box is at least NESTED_AREA of the face's.
WEAK_GROW = 0.25
WEAK_ON_FACE = 0.6


@dataclass
class Person:
    """One person's face across the whole video: every track that shows it.

    ``boxes`` are where the face was detected on key frames (the largest box where fragments
    overlap), from its confirmed tracks; ``best`` is the track and detection its thumbnail shows.
    """

    id: int
    track_ids: list[int]
    first_frame: int
    last_frame: int
    boxes: list[PersonBox]
    best: tuple[int, Observation]


def group_people(
    tracks: Iterable[Track],
    appearances: AppearanceBook | Mapping[int, np.ndarray] | None = None,
    fps: float | None = None,
    *,
    confirm: float = CONFIRM_SCORE,
    offer_score: float = OFFER_SCORE,
    min_detections: int = MIN_DETECTIONS,
    cuts: Iterable[int] | None = None,
) -> list[Person]:
    """The people in ``tracks``, numbered from 1 by first frame, then left to right.

    ``appearances`` gives a feature per track id (an :class:`AppearanceBook`, or a mapping); without
    one, tracks join on motion alone. ``fps`` is the video's frame rate; None means a photo, where
    every confirmed face is a person and nothing is joined in time. In a video a person is offered
    when ``min_detections`` of its key frames scored ``offer_score``. ``cuts`` are the key frames that
    begin a new shot (by default the book's): across a cut, tracks join on looks alone.
    """
    faces = [t for t in tracks if t.kind == "face" and t.observations]
    by_id = {t.id: t for t in faces}
    features = _features(faces, appearances)
    # Each confirmed track as its core: from its first to its last confident detection. Before and after,
    # the tracker may have followed texture at a low score, or drifted while another track took over.
    cores = {t.id: _core(t, confirm) for t in faces if t.best.score >= confirm}
    strong = list(cores.values())
    groups = _Groups(strong)

    # Fragments first: two confirmed tracks nested or overlapping on the frames they share are one face.
    for i, a in enumerate(strong):
        for b in strong[i + 1 :]:
            if groups.relation(a, b) in ("nested", "overlap"):
                groups.join(a.id, b.id)

    if cuts is None:
        cuts = appearances.cuts if isinstance(appearances, AppearanceBook) else []
    if fps:
        for _cost, first, then in sorted(_links(strong, features, fps, sorted(cuts)), key=lambda link: link[0]):
            groups.join(first, then)  # refused when the two groups are ever on screen together

    offered: list[list[int]] = []
    leftover: list[list[int]] = []
    for members in groups.members():
        clear = {o.frame for tid in members for o in cores[tid].observations if o.score >= offer_score}
        (offered if not fps or len(clear) >= min_detections else leftover).append(members)
    attached: list[list[int]] = [[] for _ in offered]
    weak = [t for t in faces if t.best.score < confirm] + [by_id[tid] for m in leftover for tid in m]
    spans = [(min(by_id[t].first_frame for t in m), max(by_id[t].last_frame for t in m)) for m in offered]
    for track in weak:
        best, share = -1, 0.0
        for n, members in enumerate(offered):
            if spans[n][0] > track.last_frame or spans[n][1] < track.first_frame:
                continue  # never on screen together
            s = _on_face(track, [by_id[tid] for tid in members])
            if s > share:
                best, share = n, s
        if best >= 0 and share >= WEAK_ON_FACE:
            attached[best].append(track.id)
    people = [_person(members, extra, cores, by_id) for members, extra in zip(offered, attached, strict=True)]
    # Numbered by where the face is first seen clearly, then left to right: the same on every run.
    people.sort(key=lambda p: (p.boxes[0][0], _centre_x(p.boxes[0]), p.track_ids[0]))
    for n, person in enumerate(people, start=1):
        person.id = n
    return people


def tracks_for_people(people: list[Person], person_ids: Iterable[int]) -> frozenset[int]:
    """The track ids to keep when the user keeps the people ``person_ids`` (``--keep`` after a plan).

    Raises ValueError, naming the valid ids, for an id that is no person.
    """
    by_id = {p.id: p for p in people}
    wanted = list(person_ids)
    unknown = sorted({i for i in wanted if i not in by_id})
    if unknown:
        valid = f"1-{len(people)}" if people else "none: no people were found"
        raise ValueError(f"no person {', '.join(map(str, unknown))} in the plan (people: {valid})")
    return frozenset(tid for i in wanted for tid in by_id[i].track_ids)


def people_report(people: list[Person]) -> list[dict[str, Any]]:
    """The people as JSON-ready dicts for the plan (``people_from_report`` reads them back).

    ``boxes`` are [frame, x0, y0, x1, y1] on key frames; ``thumbnail_track`` is the track whose
    thumbnail shows the person.
    """
    return [
        {
            "id": p.id,
            "track_ids": p.track_ids,
            "first_frame": p.first_frame,
            "last_frame": p.last_frame,
            "thumbnail_track": p.best[0],
            "best_score": round(p.best[1].score, 3),
            "boxes": [[frame, *(round(v, 1) for v in box)] for frame, *box in p.boxes],
        }
        for p in people
    ]


def people_from_report(entries: Iterable[Mapping[str, Any]]) -> list[Person]:
    """People read back from :func:`people_report` (a plan file), enough for :func:`tracks_for_people`.

    A plan records no detection beyond the best score, so ``best`` holds a stand-in observation (the
    first box, with the best score).
    """
    people = []
    for entry in entries:
        boxes = [(int(b[0]), float(b[1]), float(b[2]), float(b[3]), float(b[4])) for b in entry["boxes"]]
        frame, *box = boxes[0] if boxes else (int(entry["first_frame"]), 0.0, 0.0, 0.0, 0.0)
        best = Observation(frame, tuple(box), float(entry.get("best_score", 0.0)))  # type: ignore[arg-type]
        people.append(Person(
            id=int(entry["id"]), track_ids=[int(t) for t in entry["track_ids"]],
            first_frame=int(entry["first_frame"]), last_frame=int(entry["last_frame"]), boxes=boxes,
            best=(int(entry["thumbnail_track"]), best),
        ))
    return people


# ------------------------------------------------------------------------------------------ internals


class _Groups:
    """Union-find over track ids that refuses to join two groups ever seen apart on one frame."""

    def __init__(self, tracks: list[Track]) -> None:
        self.tracks = {t.id: t for t in tracks}
        self.parent = {t.id: t.id for t in tracks}
        self.of = {t.id: [t.id] for t in tracks}
        self._relations: dict[tuple[int, int], str] = {}

    def find(self, tid: int) -> int:
        while self.parent[tid] != tid:
            self.parent[tid] = self.parent[self.parent[tid]]
            tid = self.parent[tid]
        return tid

    def relation(self, a: Track, b: Track) -> str:
        """"apart" (never on screen together), "nested" (together, one box inside the other), "overlap"
        (together, the boxes largely overlapping: one face found twice) or "clash"."""
        key = (min(a.id, b.id), max(a.id, b.id))
        if key not in self._relations:
            self._relations[key] = _relation(a, b)
        return self._relations[key]

    def join(self, a: int, b: int) -> bool:
        """Joins the groups of tracks ``a`` and ``b`` unless two of their tracks clash."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        for x in self.of[ra]:
            for y in self.of[rb]:
                if self.relation(self.tracks[x], self.tracks[y]) == "clash":
                    return False
        self.parent[rb] = ra
        self.of[ra] += self.of.pop(rb)
        return True

    def members(self) -> list[list[int]]:
        return [sorted(m) for m in self.of.values()]


def _relation(a: Track, b: Track) -> str:
    lo, hi = max(a.first_frame, b.first_frame), min(a.last_frame, b.last_frame)
    if lo > hi:
        return "apart"
    frames = sorted({o.frame for o in a.observations + b.observations if lo <= o.frame <= hi})
    nested = overlap = 0
    for frame in frames:
        ba, bb = _box_at(a, frame), _box_at(b, frame)
        small, large = sorted((area(ba), area(bb)))
        if small >= NESTED_AREA * large > 0:
            inside = _intersection(ba, bb)
            nested += inside >= NESTED_INSIDE * small
            overlap += inside >= OVERLAP_INSIDE * small
    if nested >= NESTED_SHARE * len(frames):
        return "nested"
    return "overlap" if overlap >= OVERLAP_SHARE * len(frames) else "clash"


def _links(
    strong: list[Track], features: dict[int, np.ndarray], fps: float, cuts: list[int]
) -> list[tuple[float, int, int]]:
    """Candidate joins (cost, earlier track, later track) between tracks that follow one another."""
    links = []
    alike = _Looks(features)
    extrapolate = max(1, round(EXTRAPOLATE_S * fps))
    starts = sorted(strong, key=lambda t: t.first_frame)
    for a in strong:
        end = a.observations[-1]
        velocity = a.velocity(at_end=True)
        for b in starts:
            gap = b.first_frame - a.last_frame
            if gap <= 0:
                continue
            gap_s = gap / fps
            if gap_s > max(MOTION_GAP_S, LOOKS_GAP_S):
                break
            looks = alike(a.id, b.id)
            start = b.observations[0]
            led = _shifted(end.box, velocity * min(gap, extrapolate))
            sides = sorted((max(_side(end.box), MOTION_MIN_SIDE), max(_side(start.box), MOTION_MIN_SIDE)))
            near = _distance(led, start.box) / sides[1] / (MOTION_NEAR + MOTION_NEAR_PER_S * gap_s)
            steady = sides[1] / sides[0] <= MOTION_SIZE + MOTION_SIZE_PER_S * gap_s
            cut = bisect_right(cuts, b.first_frame) > bisect_right(cuts, a.last_frame)
            by_motion = not cut and gap_s <= MOTION_GAP_S and near <= 1.0 and steady
            small = min(_side(end.box), _side(start.box)) < LOOKS_MIN_SIDE
            if by_motion and (looks is None or looks >= (SMALL_MOTION_LOOKS if small else MOTION_LOOKS)):
                links.append((near + (1.0 - (looks if looks is not None else 0.5)), a.id, b.id))
            elif looks is not None and looks >= LOOKS_ALIKE and gap_s <= LOOKS_GAP_S:
                links.append((2.0 + (1.0 - looks) + gap_s / LOOKS_GAP_S, a.id, b.id))  # after every motion join
    return links


def _features(
    faces: list[Track], appearances: AppearanceBook | Mapping[int, np.ndarray] | None
) -> dict[int, np.ndarray]:
    if appearances is None:
        return {}
    if isinstance(appearances, AppearanceBook):
        found = {t.id: appearances.feature(t.id) for t in faces}
        return {tid: f for tid, f in found.items() if f is not None}
    return {t.id: appearances[t.id] for t in faces if t.id in appearances}


class _Looks:
    """How alike two tracks look (None when either has no feature), from one matrix of every pair."""

    def __init__(self, features: dict[int, np.ndarray]) -> None:
        self.index = {tid: n for n, tid in enumerate(features)}
        self.matrix = similarities(list(features.values()))

    def __call__(self, a: int, b: int) -> float | None:
        na, nb = self.index.get(a), self.index.get(b)
        return None if na is None or nb is None else float(self.matrix[na, nb])


def _on_face(track: Track, person: list[Track]) -> float:
    """Share of ``track``'s detections centred on the face of ``person`` (its tracks) on the same frame."""
    on = 0
    for obs in track.observations:
        cx, cy = (obs.box[0] + obs.box[2]) / 2, (obs.box[1] + obs.box[3]) / 2
        for member in person:
            if member is track or not member.first_frame <= obs.frame <= member.last_frame:
                continue
            face = _box_at(member, obs.frame)
            x0, y0, x1, y1 = _grown(face, WEAK_GROW)
            if x0 <= cx <= x1 and y0 <= cy <= y1 and area(obs.box) >= NESTED_AREA * area(face):
                on += 1
                break
    return on / len(track.observations)


def _core(track: Track, confirm: float) -> Track:
    """``track`` from its first to its last detection scoring ``confirm`` (same id and kind)."""
    sure = [n for n, o in enumerate(track.observations) if o.score >= confirm]
    return Track(id=track.id, observations=track.observations[sure[0] : sure[-1] + 1], kind=track.kind)


def _person(members: list[int], extra: list[int], cores: dict[int, Track], by_id: dict[int, Track]) -> Person:
    tracks = [cores[tid] for tid in members]
    boxes: dict[int, Box] = {}
    for track in tracks:
        for obs in track.observations:
            if obs.frame not in boxes or area(obs.box) > area(boxes[obs.frame]):
                boxes[obs.frame] = obs.box
    best = max(((t.id, t.best) for t in tracks), key=lambda tb: (tb[1].score, area(tb[1].box)))
    every = [by_id[tid] for tid in members + extra]
    return Person(
        id=0,
        track_ids=sorted(members + extra),
        first_frame=min(t.first_frame for t in every),
        last_frame=max(t.last_frame for t in every),
        boxes=[(frame, *box) for frame, box in sorted(boxes.items())],
        best=best,
    )


def _box_at(track: Track, frame: int) -> Box:
    """``track``'s box on ``frame``: interpolated between detections (its first or last box outside them)."""
    obs = track.observations
    n = bisect_right([o.frame for o in obs], frame)
    if n == 0 or n == len(obs):
        return obs[max(0, n - 1)].box
    a, b = obs[n - 1], obs[n]
    t = (frame - a.frame) / (b.frame - a.frame)
    return tuple(p + (q - p) * t for p, q in zip(a.box, b.box, strict=True))  # type: ignore[return-value]


def _intersection(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _grown(box: Box, fraction: float) -> Box:
    dx, dy = (box[2] - box[0]) * fraction, (box[3] - box[1]) * fraction
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


def _shifted(box: Box, by: np.ndarray) -> Box:
    return tuple(float(v) for v in np.asarray(box) + by)  # type: ignore[return-value]


def _side(box: Box) -> float:
    return float(np.sqrt(area(box)))


def _distance(a: Box, b: Box) -> float:
    return float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2))


def _centre_x(box: PersonBox) -> float:
    return (box[1] + box[3]) / 2
