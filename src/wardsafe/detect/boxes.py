"""Box geometry shared by detectors and the tracker: overlap, and whether two boxes are the same thing."""

from __future__ import annotations

import numpy as np

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in a frame's upright pixels


def area(box: Box) -> float:
    """Area of ``box`` (0 for an empty or inverted one)."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def match_cost(predicted: Box, detected: Box) -> float:
    """0 for a perfect match, >= 1 for no match: 1 - IoU, or centre distance relative to size."""
    return float(match_costs(np.asarray([predicted], np.float64), np.asarray([detected], np.float64))[0, 0])


def match_costs(predicted: np.ndarray, detected: np.ndarray) -> np.ndarray:
    """:func:`match_cost` of every row of ``predicted`` (n x 4) against every row of ``detected`` (m x 4): n x m.

    The tracker compares every open track with every detection on each key frame (a crowd: a hundred of
    each); one array pass instead of that many Python calls.
    """
    p = predicted.reshape(-1, 1, 4)
    d = detected.reshape(1, -1, 4)
    ix = np.maximum(0.0, np.minimum(p[..., 2], d[..., 2]) - np.maximum(p[..., 0], d[..., 0]))
    iy = np.maximum(0.0, np.minimum(p[..., 3], d[..., 3]) - np.maximum(p[..., 1], d[..., 1]))
    inter = ix * iy
    area_p = np.maximum(0.0, p[..., 2] - p[..., 0]) * np.maximum(0.0, p[..., 3] - p[..., 1])
    area_d = np.maximum(0.0, d[..., 2] - d[..., 0]) * np.maximum(0.0, d[..., 3] - d[..., 1])
    union = area_p + area_d - inter
    overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    # Small fast faces may not overlap between key frames: accept a near centre too.
    pw, ph = p[..., 2] - p[..., 0], p[..., 3] - p[..., 1]
    dx = ((p[..., 0] + p[..., 2]) - (d[..., 0] + d[..., 2])) / 2
    dy = ((p[..., 1] + p[..., 3]) - (d[..., 1] + d[..., 3])) / 2
    dist = np.hypot(dx, dy) / np.maximum(1.0, np.hypot(pw, ph))
    dw = d[..., 2] - d[..., 0]
    small, large = np.minimum(pw, dw), np.maximum(pw, dw)
    scale = np.where(small > 0, large / np.maximum(1.0, small), 9.0)
    # a face does not double in size between key frames
    return np.where(scale > 2.0, 9.0, np.minimum(1.0 - overlap, dist * 2.0))
