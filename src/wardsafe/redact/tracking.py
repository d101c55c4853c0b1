"""Links face detections on key frames into tracks, and says where each face is on every frame.

Detection runs on every ``stride``-th frame. A track's box on the frames between two of its
detections is interpolated; before its first and after its last detection the box is carried on
(along the track's motion) for ``pad`` frames, so a face is hidden from just before it is first
found until just after it was last seen, and a missed detection in the middle leaves no gap.

Tracks of things fixed in the scene (text: see ``RegionDetector.fixed_in_scene``) are followed in the
scene's own coordinates when a :class:`~wardsafe.redact.camera_motion.CameraPath` is given: each box less
the camera's offset on its frame. Interpolation, carrying and matching happen there, and the camera's
offset on the frame asked for is added back, so a word on a pan moves with the picture between readings
however far apart they are.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from wardsafe.detect.boxes import Box, area, iou, match_costs
from wardsafe.redact.camera_motion import CameraPath

# Two successive detections of a track that overlap less than this (after allowing for the track's
# motion) may be two different faces joined by mistake, as at a cut or when a face leaves the frame
# as another appears near it. Between them the face is hidden as if the track had ended and a new one
# started too, besides the interpolated box: uncertain means hide.
WEAK_LINK_IOU = 0.3
# A detection scoring SCORE_JUMP times more, or less, than the median of its track's last RECENT detections
# is another thing, not the track's (see Tracker._match). On the 720p make_clip clip a track of texture scoring
# 0.06-0.13 took a face passing at 0.81, and a face's track (0.7-0.8) the texture it uncovered (0.07): each
# then joined the wrong person, and a kept face was hidden under them.
SCORE_JUMP = 5.0
RECENT = 3


@dataclass(frozen=True, slots=True)
class Observation:
    """A face (or a word ...) detected on a key frame; ``label`` says what it is where its detector says
    (the text stage's identifier type, such as ``DATE_OF_BIRTH``; never the value)."""

    frame: int
    box: Box
    score: float
    label: str | None = None
    # On a photo: boxes inside ``box`` hidden in its place (see wardsafe.detect.seam.Detection.parts).
    parts: tuple[Box, ...] = ()


@dataclass
class Track:
    """One thing (a face, a piece of text) followed over time; ``kind`` is its detector's kind."""

    id: int
    observations: list[Observation] = field(default_factory=list)
    kind: str = "face"
    # Last frame the face is carried to after its last detection; grows while the video ends
    # with the track still open (uncertain means hide).
    carried_until: int | None = None
    # Set for things fixed in the scene: boxes are interpolated and carried in scene coordinates.
    camera: CameraPath | None = None

    @property
    def labels(self) -> list[str]:
        """What its detections were said to be (identifier types of a text track), each once, sorted."""
        return sorted({o.label for o in self.observations if o.label is not None})

    @property
    def first_frame(self) -> int:
        """Frame of the first detection."""
        return self.observations[0].frame

    @property
    def last_frame(self) -> int:
        """Frame of the last detection."""
        return self.observations[-1].frame

    @property
    def best(self) -> Observation:
        """The most confident detection (used for thumbnails)."""
        return max(self.observations, key=lambda o: (o.score, area(o.box)))

    def velocity(self, at_end: bool) -> np.ndarray:
        """Per-frame motion of the box corners at the start or end of the track (zeros if unknown)."""
        if len(self.observations) < 2:
            return np.zeros(4)
        a, b = (self.observations[-2], self.observations[-1]) if at_end else self.observations[:2]
        return _velocity(a, b)

    def velocity_at(self, frame: int) -> np.ndarray:
        """Per-frame motion of the box corners around ``frame``: between the detections either side of it (the
        first or last two outside the track; zeros with one).

        It depends only on detections up to the first after ``frame``, all known when ``frame`` is written
        (see :meth:`Tracker.boxes_at`), so a frame is hidden alike on every run however the threads ran.
        """
        obs = self.observations
        if len(obs) < 2:
            return np.zeros(4)
        n = bisect_right([o.frame for o in obs], frame)
        n = min(max(n, 1), len(obs) - 1)
        return _velocity(obs[n - 1], obs[n])

    def span(self, pad: int) -> tuple[int, int]:
        """First and last frame the face is hidden on (before clipping to the video's length)."""
        return self.first_frame - pad, max(self.last_frame + pad, self.carried_until or 0)

    def boxes_at(self, frame: int, pad: int) -> list[Box]:
        """Where the face may be on ``frame``: interpolated inside the track, carried ``pad`` frames beyond it.

        Usually one box; between the two detections of a weak link (see ``WEAK_LINK_IOU``) also the
        boxes the face would have if the link were a break: the earlier one carried forward and the
        later one carried back, each at most ``pad`` frames.
        """
        obs = self.observations
        start, end = self.span(pad)
        if frame < start or frame > end:
            return []
        # Motion is extrapolated at most `pad` frames; beyond that the box stays where it got to (in the
        # scene, for a track that follows the camera).
        if frame <= obs[0].frame:
            return [self.in_frame(_moved(self.scene_box(obs[0]), self.scene_velocity(0, 1),
                                         max(frame - obs[0].frame, -pad)), frame)]
        if frame >= obs[-1].frame:
            return [self.in_frame(_moved(self.scene_box(obs[-1]), self.scene_velocity(-2, -1),
                                         min(frame - obs[-1].frame, pad)), frame)]
        lo, hi = 0, len(obs) - 1
        while hi - lo > 1:  # binary search for the two detections around `frame`
            mid = (lo + hi) // 2
            if obs[mid].frame <= frame:
                lo = mid
            else:
                hi = mid
        a, b = obs[lo], obs[hi]
        sa, sb = self.scene_box(a), self.scene_box(b)
        t = (frame - a.frame) / (b.frame - a.frame)
        x0, y0, x1, y1 = (float(p + (q - p) * t) for p, q in zip(sa, sb, strict=True))
        boxes: list[Box] = [(x0, y0, x1, y1)]
        before = self.scene_velocity(lo - 1, lo) if lo > 0 else np.zeros(4)
        if iou(_moved(sa, before, b.frame - a.frame), sb) < WEAK_LINK_IOU:
            after = self.scene_velocity(hi, hi + 1) if hi + 1 < len(obs) else np.zeros(4)
            if frame - a.frame <= pad:
                boxes.append(_moved(sa, before, frame - a.frame))
            if b.frame - frame <= pad:
                boxes.append(_moved(sb, after, frame - b.frame))
        return [self.in_frame(box, frame) for box in boxes]

    def recent_score(self) -> float | None:
        """Median score of the last few detections (followed places, scoring 0, left out); None before any."""
        recent = [o.score for o in self.observations[-RECENT * 2:] if o.score > 0.0][-RECENT:]
        return float(np.median(recent)) if recent else None

    def scene_box(self, obs: Observation) -> Box:
        """``obs``'s box in scene coordinates (its frame's camera offset taken off); the box itself without
        a camera path."""
        if self.camera is None:
            return obs.box
        return _shifted(obs.box, -self.camera.offset(obs.frame))

    def in_frame(self, box: Box, frame: int) -> Box:
        """A scene-coordinate ``box`` where it shows on ``frame`` (the inverse of :meth:`scene_box`)."""
        if self.camera is None:
            return box
        return _shifted(box, self.camera.offset(frame))

    def scene_velocity(self, i: int, j: int) -> np.ndarray:
        """Per-frame motion of the box corners in the scene from observation ``i`` to observation ``j``
        (indices into ``observations``; zeros when the track has only one)."""
        if len(self.observations) < 2:
            return np.zeros(4)
        a, b = self.observations[i], self.observations[j]
        return (np.asarray(self.scene_box(b)) - np.asarray(self.scene_box(a))) / max(1, b.frame - a.frame)

    def predicted(self, frame: int) -> Box:
        """Where the track's thing is expected on ``frame``, from its last detection and motion."""
        return self.in_frame(_moved(self.scene_box(self.observations[-1]), self.scene_velocity(-2, -1),
                                    frame - self.last_frame), frame)

    def stayed(self, frame: int) -> Box:
        """Where the track's thing is on ``frame`` if it has not moved since its last detection (moved only by
        the camera, for a track that follows it)."""
        return self.in_frame(self.scene_box(self.observations[-1]), frame)


def _shifted(box: Box, shift: np.ndarray) -> Box:
    dx, dy = float(shift[0]), float(shift[1])
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def _velocity(a: Observation, b: Observation) -> np.ndarray:
    """Per-frame motion of the box corners from observation ``a`` to the later ``b``."""
    return (np.asarray(b.box) - np.asarray(a.box)) / max(1, b.frame - a.frame)


def _moved(box: Box, velocity: np.ndarray, frames: int) -> Box:
    """``box`` carried ``frames`` frames along ``velocity``; it never shrinks (uncertainty grows)."""
    moved = np.asarray(box) + velocity * frames
    x0, y0, x1, y1 = (float(v) for v in moved)
    # Keep at least the original size, centred on the moved centre, so a carried box never shrinks.
    w = max(x1 - x0, box[2] - box[0])
    h = max(y1 - y0, box[3] - box[1])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


class Tracker:
    """Greedy IoU/centre-distance tracker over key-frame detections, in frame order.

    A track missed by detection stays open for ``max_gap`` frames; if the face is found again it
    continues the same track and the frames in between are interpolated. Detections of each kind
    ("face", "text", ...) only ever continue tracks of the same kind; track ids are shared by all kinds.
    """

    def __init__(self, pad: int, max_gap: int, camera: CameraPath | None = None,
                 fixed_kinds: frozenset[str] = frozenset()) -> None:
        self.pad = pad
        self.max_gap = max_gap
        # Tracks of `fixed_kinds` (things fixed in the scene) move with the camera's motion, when it is given.
        self.camera = camera
        self.fixed_kinds = fixed_kinds
        self.tracks: list[Track] = []
        self._by_id: dict[int, Track] = {}
        self._active: list[Track] = []
        self.last_frame = -1

    def track(self, track_id: int) -> Track:
        """The track with id ``track_id``."""
        return self._by_id[track_id]

    def predicted(self, track: Track, frame: int) -> Box:
        """Where an open track's face is expected on ``frame``, from its last detection and motion."""
        return track.predicted(frame)

    def _match(self, frame: int, detections: list[tuple[Box, float]], kind: str) -> list[tuple[int, int]]:
        """Greedy best-first pairs (open track index, detection index), within one kind."""
        candidates = [(ti, track) for ti, track in enumerate(self._active) if track.kind == kind]
        if not candidates or not detections:
            return []
        # A face may stop or turn back between key frames (a person walks to a bed and returns): where it was
        # last seen is the other hypothesis beside where its motion would take it.
        predicted = np.asarray([self.predicted(t, frame) for _, t in candidates], np.float64)
        last = np.asarray([t.stayed(frame) for _, t in candidates], np.float64)
        boxes = np.asarray([box for box, _ in detections], np.float64)
        costs = np.minimum(match_costs(predicted, boxes), match_costs(last, boxes))
        # A detection scoring SCORE_JUMP times more or less than a track's recent ones does not continue it: a
        # track of texture does not become a face that passes over it, nor a face's track the texture it leaves
        # behind (the detection starts a track of its own; both stay hidden, and people are joined from clean
        # tracks). A track with no score yet, or a place the engine followed by appearance (score 0, see
        # wardsafe.redact.follow: no detection), always may.
        levels = np.asarray([[np.nan if (lv := t.recent_score()) is None else lv] for _, t in candidates])
        scores = np.asarray([[score for _, score in detections]], np.float64)
        differ = ~np.isnan(levels) & (scores > 0.0) & ~((levels / SCORE_JUMP < scores) & (scores < levels * SCORE_JUMP))
        costs[differ] = 9.0
        rows, cols = np.nonzero(costs < 1.0)
        pairs = [(float(costs[r, c]), candidates[r][0], int(c)) for r, c in zip(rows, cols, strict=True)]
        pairs.sort()
        used_tracks: set[int] = set()
        used_dets: set[int] = set()
        matched = []
        for _cost, ti, di in pairs:
            if ti not in used_tracks and di not in used_dets:
                used_tracks.add(ti)
                used_dets.add(di)
                matched.append((ti, di))
        return matched

    def missed(
        self, frame: int, detections: list[tuple[Box, float]], min_detections: int = 2, min_score: float = 0.0,
        kind: str = "face",
    ) -> list[Box]:
        """Predicted boxes of established open tracks that no detection matches.

        Established: detected ``min_detections`` times or more, once with at least ``min_score``.

        The video pipeline looks for these faces again, closer up: a face the detector has found
        before but misses now is usually still there, only small or turned.
        """
        return [box for _, box in self.missed_tracks(frame, detections, min_detections, min_score, kind)]

    def missed_tracks(
        self, frame: int, detections: list[tuple[Box, float]], min_detections: int = 2, min_score: float = 0.0,
        kind: str = "face",
    ) -> list[tuple[Track, Box]]:
        """Like :meth:`missed`, with each track beside its predicted box."""
        matched = {ti for ti, _ in self._match(frame, detections, kind)}
        return [(t, self.predicted(t, frame)) for ti, t in enumerate(self._active)
                if t.kind == kind and ti not in matched
                and len(t.observations) >= min_detections and t.best.score >= min_score]

    @property
    def open_ids(self) -> set[int]:
        """Ids of the tracks still open (that a later detection may continue)."""
        return {t.id for t in self._active}

    def update(
        self, frame: int, detections: list[tuple[Box, float]], kind: str = "face",
        labels: Sequence[str | None] | None = None,
    ) -> None:
        """Adds the ``kind`` detections of key frame ``frame`` (frames must come in increasing order),
        with their ``labels`` where the detector gives them (one per detection).

        Call it for every kind whose detector ran on ``frame``, even with no detections, so that tracks of
        that kind that were not seen again can end.
        """
        self.last_frame = max(self.last_frame, frame)
        matched = self._match(frame, detections, kind)
        label = (lambda di: labels[di]) if labels is not None else (lambda di: None)
        for ti, di in matched:
            box, score = detections[di]
            self._active[ti].observations.append(Observation(frame, box, score, label(di)))
        self._active = [t for t in self._active if t.kind != kind or frame - t.last_frame <= self.max_gap]
        used_dets = {di for _, di in matched}
        for di, (box, score) in enumerate(detections):
            if di not in used_dets:
                track = Track(id=len(self.tracks) + 1, observations=[Observation(frame, box, score, label(di))],
                              kind=kind, camera=self.camera if kind in self.fixed_kinds else None)
                self.tracks.append(track)
                self._by_id[track.id] = track
                self._active.append(track)

    def cut(self) -> None:
        """A new shot begins: every open track ends, so no track follows one face into another shot."""
        self._active = []

    def finish(self, last_frame: int) -> None:
        """Ends the video at ``last_frame``: tracks still open are carried on, up to ``max_gap`` frames."""
        for track in self._active:
            track.carried_until = min(last_frame, track.last_frame + self.max_gap)
        self._active = []

    def boxes_at(self, frame: int) -> list[tuple[int, Box]]:
        """(track id, box) of every face on ``frame`` (a track may give more than one box; see Track.boxes_at).

        Final once key frames up to ``frame + pad + max_gap`` have been added: by then every open
        track has either been seen after ``frame`` (so ``frame`` is interpolated) or closed, and a
        later detection can only start a new track, whose lead-in reaches back ``pad`` frames.
        """
        out: list[tuple[int, Box]] = []
        for track in self.tracks:
            if track.first_frame - self.pad > frame:
                continue
            out.extend((track.id, box) for box in track.boxes_at(frame, self.pad))
        return out
