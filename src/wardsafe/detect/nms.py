"""Non-maximum suppression for face boxes (vectorised over the remaining boxes)."""

from __future__ import annotations

import numpy as np


def _areas(boxes: np.ndarray) -> np.ndarray:
    return np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)


def _intersections(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    inter_w = np.maximum(0.0, np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]))
    inter_h = np.maximum(0.0, np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]))
    return inter_w * inter_h


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box (x0, y0, x1, y1) with each row of ``boxes`` (N x 4)."""
    box = np.asarray(box, dtype=np.float64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    inter = _intersections(box, boxes)
    return inter / np.maximum(_areas(box[None])[0] + _areas(boxes) - inter, 1e-9)


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
    boxes = boxes.astype(np.float64)
    areas = _areas(boxes)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        inter = _intersections(boxes[best], boxes[rest])
        iou = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-9)
        survivors = iou < iou_threshold
        if contain_threshold is not None:
            survivors &= inter / np.maximum(np.minimum(areas[best], areas[rest]), 1e-9) < contain_threshold
        order = rest[survivors]
    return np.asarray(keep, dtype=np.intp)
