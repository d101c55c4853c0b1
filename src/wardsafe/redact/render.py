"""Turns tracked boxes into regions to hide, of each detector's shape, and draws them on frames."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wardsafe.detect.boxes import area
from wardsafe.detect.seam import ALL_LABEL, UNREADABLE_LABEL, Box, Detectors, Region, Shape, clip_region
from wardsafe.media.video import YuvFrame
from wardsafe.redact.filters import FilterKind, hide_regions
from wardsafe.redact.tracking import Track

MOTION_MARGIN = 0.5
MAX_MOTION_MARGIN = 0.15

ShapedRegion = tuple[Region, Shape]
FACE = "face"
# Black in limited-range YUV (what phone video uses): Y at 16, chroma neutral.
BLACK_Y = 16
NEUTRAL_UV = 128
# Where a neighbour's face overlaps a kept one, the neighbour's box less this share of its size on each side
# is hidden again over the kept face (the margin of a face box is cheek and hair, not the face).
CORE_INSET = 0.1
# ... unless the kept face lies wholly on the neighbour's and is less than this share of its area: then
# it is in front of the neighbour's face (a small face passing before a close-up), hiding it there.
IN_FRONT_AREA = 0.25


def boxes_to_hide(
    boxes: list[tuple[int, Box]], keep: frozenset[int], track: Callable[[int], Track], detectors: Detectors,
    others: frozenset[int] | None = None,
) -> list[tuple[int, Box]]:
    """The boxes of ``boxes`` (track id, box) to hide when the user keeps the tracks in ``keep``.

    Every track not kept is hidden, except one of the same kind centred on a kept one that is no
    one else: at the low video threshold an ear, half a face or a brief drift of the tracker starts a
    track of its own, and it belongs to the face the user chose to keep. "No one else" means not a
    track of another person (``others``: the tracks of the people not kept), or, without people,
    a weak track (one that never reached its detector's confirm score). Anyone else is hidden even
    where they overlap.
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
        nobody = tid not in others if others is not None else t.best.score < detectors.of_kind(t.kind).confirm_score
        if nobody and any(kind == t.kind and k[0] <= cx <= k[2] and k[1] <= cy <= k[3] for kind, k in kept):
            continue
        # A face reads as a line of text to the text detector: "text" that names no identifier (unreadable, or
        # any word under --text all), centred on a face the user kept, is that face (other faces under it are
        # hidden by their own tracks; a name read there is still hidden).
        if _no_identifier(t) and any(kind == FACE and k[0] <= cx <= k[2] and k[1] <= cy <= k[3] for kind, k in kept):
            continue
        hide.append((tid, box))
    return hide


def _no_identifier(track: Track) -> bool:
    """Whether no reading of a text track named an identifier (each was unreadable, or plain text)."""
    return track.kind != FACE and all(o.label in (UNREADABLE_LABEL, ALL_LABEL) for o in track.observations)


def _grown(box: Box, fraction: float) -> Box:
    dx, dy = (box[2] - box[0]) * fraction, (box[3] - box[1]) * fraction
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


def regions_for(
    boxes: list[tuple[int, Box]], track: Callable[[int], Track], detectors: Detectors, stride: int,
    width: int, height: int, frame: int,
) -> list[ShapedRegion]:
    """Regions to hide for tracked boxes, each grown by how far its track moves between key frames.

    Each track's detector says what to hide around its box (a face's whole head, a word's rectangle)
    and in which shape. ``frame`` is the frame the boxes are on (its motion there is the track's).
    """
    regions: list[ShapedRegion] = []
    for track_id, (x0, y0, x1, y1) in boxes:
        t = track(track_id)
        detector = detectors.of_kind(t.kind)
        # Interpolation is exact for steady motion; a face that turns, stops or shakes with the camera
        # drifts from it by a fraction of its motion over one key-frame interval. Half that motion,
        # capped at 15% of the box, covered every face of the benchmark clips (bench/faces.py) while
        # hiding half as much background as growing by the whole motion.
        motion = float(np.abs(t.velocity_at(frame)).max()) * stride
        margin = min(MOTION_MARGIN * motion, MAX_MOTION_MARGIN * max(x1 - x0, y1 - y0))
        region = detector.region((x0 - margin, y0 - margin, x1 + margin, y1 + margin), width, height)
        if region[2] > region[0] and region[3] > region[1]:
            regions.append((region, detector.shape))
    return regions


def spare_kept(
    kept: list[Box], hidden: list[tuple[int, Box]], width: int, height: int,
    track: Callable[[int], Track] | None = None,
) -> tuple[list[Region], list[ShapedRegion]]:
    """What to give back to faces the user kept, after the others were hidden around them.

    A neighbour's hidden region is its whole head, grown for motion, and can spill over a kept face
    beside it. The kept face's box is restored (the first list); but wherever a hidden neighbour's own
    face (its box less ``CORE_INSET``) lies on a kept face, it is hidden again afterwards (the second
    list): a kept face is not covered by a neighbour's blur unless the neighbour's face lies under it.
    Text that names no identifier (``track`` tells which) is not hidden again there: over a kept face it
    is that face's own texture, read as an unreadable line (a name read there is hidden again).
    """
    restore = [r for r in (clip_region(box, width, height) for box in kept) if r[2] > r[0] and r[3] > r[1]]
    again: list[ShapedRegion] = []
    for tid, box in hidden:
        if track is not None and _no_identifier(track(tid)):
            continue
        # A detector's face box has a margin around the features; its core is the face itself.
        core = _grown(box, -CORE_INSET)
        if any(_overlap(core, k) and not _in_front(k, box) for k in kept):
            region = clip_region(core, width, height)
            if region[2] > region[0] and region[3] > region[1]:
                again.append((region, "rect"))
    return restore, again


def _in_front(kept: Box, other: Box) -> bool:
    """Whether a kept face lies wholly on a much larger face: then it is in front, hiding that face there."""
    inside = (min(kept[2], other[2]) - max(kept[0], other[0])) * (min(kept[3], other[3]) - max(kept[1], other[1]))
    return area(kept) < IN_FRONT_AREA * area(other) and inside >= 0.9 * area(kept)


def _overlap(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def hide_shaped(
    image: np.ndarray, regions: list[ShapedRegion], kind: FilterKind, halve: bool = False,
    restore: list[Region] | None = None, again: list[ShapedRegion] | None = None,
) -> None:
    """Hides ``regions`` on one image (a photo, or a frame's plane), each in its own shape, in place.

    ``halve`` maps full-size rectangles onto a half-size chroma plane. ``restore`` rectangles (kept
    faces) get their pixels back afterwards, then ``again`` is hidden (see :func:`spare_kept`).
    """
    saved = [(r, image[r[1] : r[3], r[0] : r[2]].copy()) for r in (_halved(restore or [], halve))]
    for shape in ("ellipse", "rect", "text"):
        rects = _halved([r for r, s in regions if s == shape], halve)
        if rects:
            hide_regions(image, rects, kind, shape)
    for r, pixels in saved:
        image[r[1] : r[3], r[0] : r[2]] = pixels
    if again:
        hide_shaped(image, again, kind, halve)


def _halved(rects: list[Region], halve: bool) -> list[Region]:
    if not halve:
        return rects
    return [(x0 // 2, y0 // 2, (x1 + 1) // 2, (y1 + 1) // 2) for x0, y0, x1, y1 in rects]


def hide_on_frame(
    frame: YuvFrame, regions: list[ShapedRegion], kind: FilterKind, restore: list[Region] | None = None,
    again: list[ShapedRegion] | None = None, blackout: list[Region] | None = None,
) -> None:
    """Hides ``regions`` (upright pixel rectangles, each with its shape) on every plane of ``frame``, in place.

    ``restore`` and ``again`` as for :func:`hide_shaped`. ``blackout`` rectangles (parts cut on request)
    are filled black last, over everything, kept faces included.
    """
    if not regions and not blackout:
        return
    y, u, v = frame.planes()
    # Both chroma planes in one two-channel image: one filter pass instead of two (3x faster here).
    uv = np.dstack((u, v))
    if regions:
        hide_shaped(y, regions, kind, restore=restore, again=again)
        hide_shaped(uv, regions, kind, halve=True, restore=restore, again=again)
    for x0, y0, x1, y1 in blackout or []:
        y[y0:y1, x0:x1] = BLACK_Y
        hx0, hy0, hx1, hy1 = _halved([(x0, y0, x1, y1)], True)[0]
        uv[hy0:hy1, hx0:hx1] = NEUTRAL_UV
    u[...] = uv[..., 0]
    v[...] = uv[..., 1]
