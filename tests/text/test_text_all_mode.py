"""`--text all` hides every line read, but, as the default mode, a "line" nothing could be read on only where
it may be text: the line detector also finds faces and noisy walls (one covered a whole frame)."""

from __future__ import annotations

import numpy as np

from wardsafe.detect.ocr_engine import OcrLine, get_engine
from wardsafe.detect.text_regions import TextRegions


def _line(x0: float, y0: float, x1: float, y1: float) -> OcrLine:
    quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
    return OcrLine(quad=quad, words=(), confidence=0.0, det_score=0.9)


def test_an_unreadable_line_the_size_of_the_frame_is_not_hidden_under_text_all() -> None:
    detector = TextRegions(get_engine(), mode="all")
    frame_sized, small = _line(0, 12, 480, 192), _line(100, 50, 160, 64)
    hidden = detector.words_to_hide([frame_sized, small], short_side=200)
    assert len(hidden) == 1
    assert np.array_equal(hidden[0].quad, small.quad)
