"""Visual filters that make a region of a frame unrecognisable: blur, pixelate or a solid fill.

Each region is hidden by the ellipse inscribed in it, with a soft rim that only blends *outwards* of a
fully destroyed core, so the face inside is never partly visible. Work is done on the region's own
pixels (ROI views), so ten faces on a 720p frame cost a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from wardsafe.errors import InputError
from wardsafe.redact.options import FILTER_KINDS, FilterKind

# Re-exported here: the filters are where the kinds are implemented.
__all__ = ["FILTER_KINDS", "FilterKind", "hide_regions"]

# Strength is relative to the region, not absolute pixels, so that a 20 px and a 400 px face are
# destroyed alike: the region is reduced to about this many cells across its longer side.
BLUR_CELLS = 4
PIXELATE_CELLS = 5
# Text (shape "text"): at most this many cells across the region's shorter side, which is about the height
# of its letters: a short piece of a rotated word, or a word 150 px high on a 12 MP photo, loses its letters
# as a whole word does (a cell of half a letter's height leaves no stroke to read).
TEXT_CELLS = 2
# Normalised ellipse radius where the soft rim starts; inside it the filter replaces pixels fully.
SOFT_RIM_START = 0.88


def _factor(h: int, w: int, cells: int, text: bool) -> float:
    """How much a region is reduced: to ``cells`` across its longer side, and for text also to at most
    ``TEXT_CELLS`` across its shorter side."""
    factor = cells / max(h, w)
    return min(factor, TEXT_CELLS / min(h, w)) if text else factor


def _blurred(roi: np.ndarray, text: bool = False) -> np.ndarray:
    """A heavy blur: reduce to a few cells, smooth there, and enlarge smoothly (cheap at any size)."""
    h, w = roi.shape[:2]
    factor = _factor(h, w, BLUR_CELLS, text)
    small = cv2.resize(roi, (max(2, round(w * factor)), max(2, round(h * factor))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), 0.8, borderType=cv2.BORDER_REPLICATE)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _pixelated(roi: np.ndarray, text: bool = False) -> np.ndarray:
    """Large flat blocks: reduce to a few cells and enlarge without smoothing."""
    h, w = roi.shape[:2]
    factor = _factor(h, w, PIXELATE_CELLS, text)
    small = cv2.resize(roi, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


def _solid(roi: np.ndarray, text: bool = False) -> np.ndarray:
    """One flat colour: the region's mean, so the patch does not draw the eye (a 1x1 image, enlarged)."""
    h, w = roi.shape[:2]
    return cv2.resize(cv2.resize(roi, (1, 1), interpolation=cv2.INTER_AREA), (w, h), interpolation=cv2.INTER_NEAREST)


_FILTERS = {"blur": _blurred, "pixelate": _pixelated, "solid": _solid}


def _axis_profile(start: int, stop: int, limit: int) -> np.ndarray:
    """Normalised squared distance from the ellipse centre along one axis, for pixels start..stop-1.

    A region cut by the frame edge (start == 0 or stop == limit) lost part of its ellipse; its true
    extent is unknown, so the half towards the edge counts as centre (distance 0). That shape always
    covers at least what the uncut ellipse would have covered inside the frame.
    """
    centres = np.arange(start, stop, dtype=np.float32) + 0.5
    middle, radius = (start + stop) / 2, max((stop - start) / 2, 0.5)
    offset = centres - middle
    if start == 0:
        offset = np.maximum(offset, 0)
    if stop == limit:
        offset = np.minimum(offset, 0)
    return (offset / radius) ** 2


def _ellipse_alpha(x0: int, y0: int, x1: int, y1: int, width: int, height: int) -> np.ndarray:
    """Blend weight (h x w float32, 0..1): 1 in the ellipse's core, falling to 0 at its edge."""
    dist = cv2.sqrt(_axis_profile(y0, y1, height)[:, None] + _axis_profile(x0, x1, width)[None, :])
    return np.clip((1.0 - dist) * (1.0 / (1.0 - SOFT_RIM_START)), 0.0, 1.0, out=dist)


def hide_regions(
    rgb: np.ndarray, regions: Sequence[tuple[int, int, int, int]], kind: FilterKind = "blur", shape: str = "ellipse"
) -> None:
    """Hides each region (x0, y0, x1, y1) of ``rgb`` (H x W x 3 uint8) IN PLACE with the filter ``kind``.

    ``shape`` "ellipse" hides the ellipse inscribed in each region (heads), "rect" the whole rectangle, "text"
    the whole rectangle in cells no larger than half its shorter side (see ``TEXT_CELLS``).

    Any uint8 image of 1 to 4 channels is hidden the same way: a single plane (H x W, such as a video
    frame's Y plane) or planes stacked together (H x W x 2, such as its U and V planes).

    Regions are clipped to the frame; empty ones are skipped. Overlapping regions are hidden one after
    the other, so the later filter works on already hidden pixels and nothing reappears.
    """
    if kind not in _FILTERS:
        raise InputError(f"unknown filter {kind!r}; choose one of {', '.join(FILTER_KINDS)}")
    if rgb.ndim not in (2, 3) or rgb.dtype != np.uint8 or (rgb.ndim == 3 and not 1 <= rgb.shape[2] <= 4):
        raise InputError("filters need a uint8 image: H x W (one plane) or H x W x C with 1 to 4 channels")
    height, width = rgb.shape[:2]
    make_hidden = _FILTERS[kind]
    for region in regions:
        x0, y0, x1, y1 = (int(v) for v in region)
        x0, x1 = max(0, x0), min(width, x1)
        y0, y1 = max(0, y0), min(height, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        roi = rgb[y0:y1, x0:x1]
        hidden = make_hidden(roi, shape == "text")
        if shape != "ellipse":
            roi[...] = hidden
            continue
        alpha = _ellipse_alpha(x0, y0, x1, y1, width, height)
        # per-pixel weighted sum in OpenCV: one pass, no float copies of the region
        roi[...] = cv2.blendLinear(hidden, np.ascontiguousarray(roi), alpha, 1.0 - alpha)
