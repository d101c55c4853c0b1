"""Draws the hiding filter on a video frame's planes, where the tracks say faces are."""

from __future__ import annotations

import numpy as np

from wardsafe.detect.faces import FaceBox
from wardsafe.media.video import YuvFrame
from wardsafe.redact.filters import FilterKind, hide_regions
from wardsafe.redact.regions import head_region
from wardsafe.redact.tracking import Box, Tracker

Region = tuple[int, int, int, int]


def regions_for(
    boxes: list[tuple[int, Box]], tracker: Tracker, stride: int, width: int, height: int
) -> list[Region]:
    """Head regions to hide for tracked face boxes, grown by how far each face moves between key frames."""
    regions = []
    for track_id, (x0, y0, x1, y1) in boxes:
        track = tracker.tracks[track_id - 1]
        # Interpolation is exact for steady motion; a face that turns or stops can be off by up to
        # its motion over one key-frame interval, so the region grows by that much.
        speed = float(np.abs(track.velocity(at_end=True)).max()) * stride
        regions.append(head_region(FaceBox(x0 - speed, y0 - speed, x1 + speed, y1 + speed, 1.0), width, height))
    return [r for r in regions if r[2] > r[0] and r[3] > r[1]]


def hide_on_frame(frame: YuvFrame, regions: list[Region], kind: FilterKind) -> None:
    """Hides ``regions`` (upright pixel rectangles) on every plane of ``frame``, in place."""
    if not regions:
        return
    y, u, v = frame.planes()
    hide_regions(y, regions, kind)
    half = [(x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2) for x0, y0, x1, y1 in regions]
    hide_regions(u, half, kind)
    hide_regions(v, half, kind)
