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
    overlap = iou(predicted, detected)
    # Small fast faces may not overlap between key frames: accept a near centre too.
    pw, ph = predicted[2] - predicted[0], predicted[3] - predicted[1]
    dx = ((predicted[0] + predicted[2]) - (detected[0] + detected[2])) / 2
    dy = ((predicted[1] + predicted[3]) - (detected[1] + detected[3])) / 2
    dist = float(np.hypot(dx, dy)) / max(1.0, float(np.hypot(pw, ph)))
    dw = detected[2] - detected[0]
    scale = max(pw, dw) / max(1.0, min(pw, dw)) if min(pw, dw) > 0 else 9.0
    if scale > 2.0:  # a face does not double in size between key frames
        return 9.0
    return min(1.0 - overlap, dist * 2.0)
