"""Non-maximum suppression."""

from __future__ import annotations

import numpy as np

from wardsafe.detect.nms import nms


def test_nms_keeps_the_best_of_overlapping_boxes_and_separate_ones():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.5, 0.9, 0.3], np.float32)
    assert nms(boxes, scores, 0.3).tolist() == [1, 2]


def test_nms_merges_a_box_inside_a_better_one_only_when_asked():
    boxes = np.array([[0, 0, 40, 40], [5, 5, 15, 15]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)
    assert nms(boxes, scores, 0.3).tolist() == [0, 1]
    assert nms(boxes, scores, 0.3, contain_threshold=0.7).tolist() == [0]


def test_nms_of_nothing_is_nothing():
    assert nms(np.empty((0, 4), np.float32), np.empty(0, np.float32)).size == 0
