"""Keeps hiding a head that the detectors lose while it is plainly still there.

A face the detector found several times can stop being found though the person has not gone: a cap
pulled down over a masked face, a head turned to profile, motion blur. Looking closer (the detector's
``look_again``) finds many of these; for the rest the engine looks for the face's last known look near
where its track expects it, by normalised cross-correlation of grey pictures, and where that look is
still there the track goes on through it (a person is present, no face is confirmed: uncertain means
hide). A face that really left, turned fully away or changed does not match, and its track ends as before.

Only detectors that ask for it (``RegionDetector.follows_appearance``) are followed this way; the
looks are taken from real detections only, never from a followed place, so a follow cannot drift
onto the background step by step, and only from detections about as strong as the track's best (not
texture that took a track over).
"""

from __future__ import annotations

import cv2
import numpy as np

from wardsafe.detect.boxes import Box
from wardsafe.detect.seam import Frame
from wardsafe.redact.tracking import Track

# Normalised cross-correlation (TM_CCOEFF_NORMED) a place must reach to be the face's last look: a masked face
# 14 px away scored 0.99 against its look, the best place on a face-free photo background without it 0.65.
MATCH = 0.75
# The look is the middle of the detected box, this share of its size in from each side: a face box's edges
# hold what is behind the head, which stays put while the head moves on (a look of it would match the
# background where the head was).
INNER = 0.15
# Looks kept per track, the latest: a detection that caught only part of the face (a mask, a cap) gives a
# poor look, and one of the looks before it still matches.
LOOKS = 3
# How far from where the track expects the face it is sought: this many face sizes each way.
SEARCH = 0.75
# Sizes tried, as shares of the remembered look's (a face grows or shrinks as it comes and goes).
SCALES = (0.9, 1.0, 1.1)
# Looks are compared at most this many pixels on their longer side (a big face needs no more detail).
LOOK_SIDE = 48
# Smaller looks say too little to follow (a few grey pixels match much of any background).
MIN_SIDE = 12
# A detection scoring under this share of its track's best is not taken as the track's look.
SAME_THING = 0.5
# Score given to a followed place: below any detector's threshold, so it never makes a track look
# certain (thumbnails, people), only longer.
FOLLOWED_SCORE = 0.0


class Follower:
    """Remembers how each face looked when last detected, and finds that look again on later key frames."""

    def __init__(self) -> None:
        # track id -> its last LOOKS looks, each (grey picture, box, scale)
        self._looks: dict[int, list[tuple[np.ndarray, Box, float]]] = {}

    def remember(self, tracks: list[Track], frame: Frame, kind: str, min_score: float) -> None:
        """Keeps the look of every ``kind`` track detected on ``frame`` with at least ``min_score``.

        A detection much weaker than its track's best may be texture that took the track over; its look is
        not worth following (the look from before stays).
        """
        for track in tracks:
            obs = track.observations[-1]
            if (track.kind != kind or obs.frame != frame.index or obs.score < max(min_score, 1e-6)
                    or obs.score < SAME_THING * track.best.score):
                continue
            look = _grey(frame, _grown(obs.box, -INNER))
            if look is None:
                continue
            self._looks[track.id] = [*self._looks.get(track.id, [])[1 - LOOKS:], look]

    def forget(self, open_ids: set[int]) -> None:
        """Drops the looks of tracks that have ended."""
        for tid in list(self._looks):
            if tid not in open_ids:
                del self._looks[tid]

    def follow(self, frame: Frame, missed: list[tuple[Track, Box]], known: list[Box]) -> list[tuple[Box, float]]:
        """Where each missed track's last look is on ``frame`` near its expected ``Box``, if it is there.

        Returns one (box, FOLLOWED_SCORE) per track found, none on a place already covered by ``known``.
        """
        found: list[tuple[Box, float]] = []
        for track, expected in missed:
            matches = [m for m in (_find_look(frame, look, expected) for look in self._looks.get(track.id, []))
                       if m is not None]
            inner = max(matches)[1] if matches else None
            box = _grown(inner, INNER / (1 - 2 * INNER)) if inner is not None else None
            if box is not None and not any(_centre_in(box, k) for k in known):
                found.append((box, FOLLOWED_SCORE))
        return found


def _grey(frame: Frame, box: Box) -> tuple[np.ndarray, Box, float] | None:
    """The grey picture inside ``box`` on ``frame``, at most LOOK_SIDE on its longer side, and its scale."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(frame.width, x1), min(frame.height, y1)
    if min(x1 - x0, y1 - y0) < MIN_SIDE:
        return None
    crop = frame.rgb_crop(x0, y0, x1, y1)
    if crop.shape[0] < MIN_SIDE or crop.shape[1] < MIN_SIDE:
        return None
    scale = min(1.0, LOOK_SIDE / max(crop.shape[:2]))
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if float(grey.std()) < 4.0:  # a flat patch (a wall) matches anything flat
        return None
    return grey, (float(x0), float(y0), float(x0 + crop.shape[1]), float(y0 + crop.shape[0])), scale


def _find_look(
    frame: Frame, remembered: tuple[np.ndarray, Box, float], expected: Box,
) -> tuple[float, Box] | None:
    """How well and where (box) the remembered look matches best on ``frame`` near ``expected``, if it does."""
    look, seen, scale = remembered
    w, h = seen[2] - seen[0], seen[3] - seen[1]
    cx, cy = (expected[0] + expected[2]) / 2, (expected[1] + expected[3]) / 2
    reach_x, reach_y = w * (0.5 + SEARCH) * max(SCALES), h * (0.5 + SEARCH) * max(SCALES)
    x0, y0 = max(0, int(cx - reach_x)), max(0, int(cy - reach_y))
    x1, y1 = min(frame.width, int(cx + reach_x) + 1), min(frame.height, int(cy + reach_y) + 1)
    if x1 - x0 < w * min(SCALES) or y1 - y0 < h * min(SCALES):
        return None  # the face would be mostly outside the frame: nothing to compare
    window = cv2.cvtColor(frame.rgb_crop(x0, y0, x1, y1), cv2.COLOR_RGB2GRAY)
    x0, y0 = x0 - x0 % 2, y0 - y0 % 2  # rgb_crop aligns to even pixels
    window = cv2.resize(window, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1.0 else window
    best: tuple[float, Box] | None = None
    for s in SCALES:
        templ = look if s == 1.0 else cv2.resize(look, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
        if templ.shape[0] > window.shape[0] or templ.shape[1] > window.shape[1]:
            continue
        scores = cv2.matchTemplate(window, templ, cv2.TM_CCOEFF_NORMED)
        _, value, _, (mx, my) = cv2.minMaxLoc(scores)
        if best is None or value > best[0]:
            bx, by = x0 + mx / scale, y0 + my / scale
            best = (float(value), (bx, by, bx + templ.shape[1] / scale, by + templ.shape[0] / scale))
    if best is None or best[0] < MATCH:
        return None
    return best


def _grown(box: Box, share: float) -> Box:
    """``box`` grown by ``share`` of its width and height on each side (shrunk for a negative share)."""
    dx, dy = (box[2] - box[0]) * share, (box[3] - box[1]) * share
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


def _centre_in(box: Box, other: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return other[0] <= cx <= other[2] and other[1] <= cy <= other[3]
