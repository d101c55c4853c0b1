"""Draws the hiding filter on a video frame's planes, where the tracks say faces are."""

from __future__ import annotations

import numpy as np

from wardsafe.detect.faces import FaceBox
from wardsafe.media.video import YuvFrame
from wardsafe.redact.filters import FilterKind, hide_regions
from wardsafe.redact.regions import head_region
from wardsafe.redact.tracking import Box, Track, Tracker

Region = tuple[int, int, int, int]
MOTION_MARGIN = 0.5
MAX_MOTION_MARGIN = 0.15


def boxes_to_hide(
    boxes: list[tuple[int, Box]], keep: frozenset[int], tracks: list[Track], confirm: float
) -> list[tuple[int, Box]]:
    """The boxes of ``boxes`` (track id, box) to hide when the user keeps the tracks in ``keep``.

    Every track not kept is hidden, except a weak one (never scored ``confirm``) centred on a kept
    face: at the low video threshold an ear or half a face can start a track of its own, and it
    belongs to the face the user chose to keep. A confirmed face is hidden even if it overlaps.
    """
    if not keep:
        return boxes
    kept = [_grown(box, 0.25) for tid, box in boxes if tid in keep]
    hide = []
    for tid, box in boxes:
        if tid in keep:
            continue
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        weak = tracks[tid - 1].best.score < confirm
        if weak and any(k[0] <= cx <= k[2] and k[1] <= cy <= k[3] for k in kept):
            continue
        hide.append((tid, box))
    return hide


def _grown(box: Box, fraction: float) -> Box:
    dx, dy = (box[2] - box[0]) * fraction, (box[3] - box[1]) * fraction
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


def regions_for(
    boxes: list[tuple[int, Box]], tracker: Tracker, stride: int, width: int, height: int
) -> list[Region]:
    """Head regions to hide for tracked face boxes, grown by how far each face moves between key frames."""
    regions = []
    for track_id, (x0, y0, x1, y1) in boxes:
        track = tracker.tracks[track_id - 1]
        # Interpolation is exact for steady motion; a face that turns, stops or shakes with the camera
        # drifts from it by a fraction of its motion over one key-frame interval. Half that motion,
        # capped at 15% of the face, covered every face of the benchmark clips (bench/faces.py) while
        # hiding half as much background as growing by the whole motion.
        motion = float(np.abs(track.velocity(at_end=True)).max()) * stride
        margin = min(MOTION_MARGIN * motion, MAX_MOTION_MARGIN * max(x1 - x0, y1 - y0))
        regions.append(head_region(FaceBox(x0 - margin, y0 - margin, x1 + margin, y1 + margin, 1.0), width, height))
    return [r for r in regions if r[2] > r[0] and r[3] > r[1]]


def hide_on_frame(frame: YuvFrame, regions: list[Region], kind: FilterKind) -> None:
    """Hides ``regions`` (upright pixel rectangles) on every plane of ``frame``, in place."""
    if not regions:
        return
    y, u, v = frame.planes()
    hide_regions(y, regions, kind)
    half = [(x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2) for x0, y0, x1, y1 in regions]
    # Both chroma planes in one two-channel image: one filter pass instead of two (3x faster here).
    uv = np.dstack((u, v))
    hide_regions(uv, half, kind)
    u[...] = uv[..., 0]
    v[...] = uv[..., 1]
