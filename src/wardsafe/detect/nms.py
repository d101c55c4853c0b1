"""Non-maximum suppression for face boxes (vectorised over the remaining boxes)."""

from __future__ import annotations

import numpy as np


def nms(
    boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.3, contain_threshold: float | None = None
) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS, best score first.

    A box is dropped when its IoU with a better kept box reaches ``iou_threshold``, or when that
    share of the smaller box's area lies inside the better box reaches ``contain_threshold`` (when given)
    (the second test merges a partial face found at one scale with the whole face found at another).
    ``boxes`` is N x 4 (x0, y0, x1, y1).
    """
    if len(boxes) == 0:
        return np.empty(0, dtype=np.intp)
    x0, y0, x1, y1 = (boxes[:, i].astype(np.float64) for i in range(4))
    areas = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        inter_w = np.maximum(0.0, np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest]))
        inter_h = np.maximum(0.0, np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest]))
        inter = inter_w * inter_h
        iou = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-9)
        survivors = iou < iou_threshold
        if contain_threshold is not None:
            survivors &= inter / np.maximum(np.minimum(areas[best], areas[rest]), 1e-9) < contain_threshold
        order = rest[survivors]
    return np.asarray(keep, dtype=np.intp)
