"""Turns tracked boxes into regions to hide, of each detector's shape, and draws them on frames."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wardsafe.detect.seam import Box, Detectors, Region, Shape
from wardsafe.media.video import YuvFrame
from wardsafe.redact.filters import FilterKind, hide_regions
from wardsafe.redact.tracking import Track

MOTION_MARGIN = 0.5
MAX_MOTION_MARGIN = 0.15

ShapedRegion = tuple[Region, Shape]


def boxes_to_hide(
    boxes: list[tuple[int, Box]], keep: frozenset[int], track: Callable[[int], Track], detectors: Detectors
) -> list[tuple[int, Box]]:
    """The boxes of ``boxes`` (track id, box) to hide when the user keeps the tracks in ``keep``.

    Every track not kept is hidden, except a weak one (never reached its detector's confirm score) of
    the same kind, centred on a kept one: at the low video threshold an ear or half a face can start a
    track of its own, and it belongs to the face the user chose to keep. A confirmed face is hidden
    even if it overlaps.
    """
    if not keep:
        return boxes
    kept = [(track(tid).kind, _grown(box, 0.25)) for tid, box in boxes if tid in keep]
    hide = []
    for tid, box in boxes:
        if tid in keep:
            continue
        t = track(tid)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        weak = t.best.score < detectors.of_kind(t.kind).confirm_score
        if weak and any(kind == t.kind and k[0] <= cx <= k[2] and k[1] <= cy <= k[3] for kind, k in kept):
            continue
        hide.append((tid, box))
    return hide


def _grown(box: Box, fraction: float) -> Box:
    dx, dy = (box[2] - box[0]) * fraction, (box[3] - box[1]) * fraction
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


def regions_for(
    boxes: list[tuple[int, Box]], track: Callable[[int], Track], detectors: Detectors, stride: int,
    width: int, height: int,
) -> list[ShapedRegion]:
    """Regions to hide for tracked boxes, each grown by how far its track moves between key frames.

    Each track's detector says what to hide around its box (a face's whole head, a word's rectangle)
    and in which shape.
    """
    regions: list[ShapedRegion] = []
    for track_id, (x0, y0, x1, y1) in boxes:
        t = track(track_id)
        detector = detectors.of_kind(t.kind)
        # Interpolation is exact for steady motion; a face that turns, stops or shakes with the camera
        # drifts from it by a fraction of its motion over one key-frame interval. Half that motion,
        # capped at 15% of the box, covered every face of the benchmark clips (bench/faces.py) while
        # hiding half as much background as growing by the whole motion.
        motion = float(np.abs(t.velocity(at_end=True)).max()) * stride
        margin = min(MOTION_MARGIN * motion, MAX_MOTION_MARGIN * max(x1 - x0, y1 - y0))
        region = detector.region((x0 - margin, y0 - margin, x1 + margin, y1 + margin), width, height)
        if region[2] > region[0] and region[3] > region[1]:
            regions.append((region, detector.shape))
    return regions


def hide_shaped(image: np.ndarray, regions: list[ShapedRegion], kind: FilterKind, halve: bool = False) -> None:
    """Hides ``regions`` on one image (a photo, or a frame's plane), each in its own shape, in place.

    ``halve`` maps full-size regions onto a half-size chroma plane.
    """
    for shape in ("ellipse", "rect"):
        rects = [r for r, s in regions if s == shape]
        if halve:
            rects = [(x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2) for x0, y0, x1, y1 in rects]
        if rects:
            hide_regions(image, rects, kind, shape)


def hide_on_frame(frame: YuvFrame, regions: list[ShapedRegion], kind: FilterKind) -> None:
    """Hides ``regions`` (upright pixel rectangles, each with its shape) on every plane of ``frame``, in place."""
    if not regions:
        return
    y, u, v = frame.planes()
    hide_shaped(y, regions, kind)
    # Both chroma planes in one two-channel image: one filter pass instead of two (3x faster here).
    uv = np.dstack((u, v))
    hide_shaped(uv, regions, kind, halve=True)
    u[...] = uv[..., 0]
    v[...] = uv[..., 1]
