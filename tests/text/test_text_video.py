"""A camera panning across a monitor and a whiteboard: every identifier is hidden in every frame it shows in,
though text is read only every 3rd key frame (the tracker carries words with the camera between readings)."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from bench_scenes import Word, make_scene, write_pan_clip
from wardsafe.detect.ocr_engine import OcrEngine, get_engine

pytestmark = pytest.mark.slow
WARDSAFE = Path(sys.executable).with_name("wardsafe")
# Every part of an identifier is hidden: its own quadrilateral, warped upright SLICE_HEIGHT px high, is cut into
# slices half as wide as that; each slice with ink in it (grey std above INKED) must change by at least CHANGED
# grey levels on average. Hidden slices changed by 26 or more on the first runs, readable words by about 2
# (re-encoding), so a word hidden but for its last letter fails.
SLICE_HEIGHT = 24
INKED = 15.0
CHANGED = 10.0
# OCR reading an identifier's quadrilateral back gets at least this share of its characters: still legible.
LEGIBLE = 0.8


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


# (scene width, right to left): a pan of 8 px a frame to the right, and one of 19 px a frame to the left (a
# word moves about 280 px, several times its width, between two readings of the text, 15 frames apart).
PANS = [(1200, False), (1520, True)]


@pytest.mark.parametrize(("width", "reverse"), PANS)
def test_identifier_hidden_in_every_frame(tmp_path: Path, width: int, reverse: bool) -> None:
    scene = make_scene(2, width, 540, cards=("monitor", "whiteboard", "exit"))
    src, out = tmp_path / "pan.mp4", tmp_path / "pan.out.mp4"
    truth = write_pan_clip(str(src), scene, 960, 540, 30, reverse=reverse)
    done = subprocess.run([str(WARDSAFE), "redact", str(src), "-o", str(out), "-q"], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert done.returncode == 0, done.stderr
    before, after = frames(src), frames(out)
    assert len(after) == len(before) == 30
    engine = get_engine()
    shown = read_before = 0
    for n, (a, b, words) in enumerate(zip(before, after, truth, strict=True)):
        for w in words:  # truth: the words wholly inside frame n, where they are on it
            if not w.identifier:
                continue
            shown += 1
            changed = slice_changes(a, b, w)
            assert changed and min(changed) > CHANGED, f"{w.card} identifier partly readable on frame {n}"
            assert not legible(engine, b, w), f"{w.card} identifier read back by OCR on frame {n}"
            read_before += legible(engine, a, w)
    assert shown >= 30
    assert read_before >= 0.8 * shown  # the read-back check can read the identifiers it looks at
    # The report says, per text track, what kind of identifier it was and when and where it was hidden.
    report = json.loads(out.with_name("pan.out.report.json").read_text())
    text = [t for t in report["tracks"] if t["kind"] == "text"]
    assert text and all(t["identifier_types"] and t["hidden_frames"] and t["boxes"] for t in text)
    assert all(t["first_time_s"] is not None and t["last_time_s"] >= t["first_time_s"] for t in text)
    assert {"NAME", "NHS_NUMBER"} <= set(report["summary"]["by_kind"]["text"]["identifier_types"])
    # every text in the report but the models' sha256 (numbers are coordinates and counts)
    said = " ".join(s for s in strings(report) if not re.fullmatch("[0-9a-f]{64}", s))
    assert not any(w.identifier and w.text.strip(",") in said for words in truth for w in words)


def grown(q: np.ndarray, along: float, across: float) -> np.ndarray:
    """Quadrilateral ``q`` (top-left, top-right, bottom-right, bottom-left) grown by ``along`` times its height at
    each end and ``across`` times it above and below, in its own axes."""
    h = float(np.linalg.norm(q[3] - q[0]))
    u = (q[1] - q[0]) / max(float(np.linalg.norm(q[1] - q[0])), 1e-6)
    v = (q[3] - q[0]) / max(h, 1e-6)
    step = np.stack([-u * along - v * across, u * along - v * across, u * along + v * across,
                     -u * along + v * across])
    return (q + step * h).astype(np.float32)


def upright(rgb: np.ndarray, w: Word) -> np.ndarray:
    """The word's own quadrilateral on ``rgb``, warped upright to ``SLICE_HEIGHT`` px high, grey."""
    q = np.array(w.quad, dtype=np.float32)
    out_w = max(4, round(SLICE_HEIGHT * float(np.linalg.norm(q[1] - q[0])) / max(float(np.linalg.norm(q[3] - q[0])),
                                                                                  1e-6)))
    target = np.array([[0, 0], [out_w, 0], [out_w, SLICE_HEIGHT], [0, SLICE_HEIGHT]], dtype=np.float32)
    crop = cv2.warpPerspective(rgb, cv2.getPerspectiveTransform(q, target), (out_w, SLICE_HEIGHT),
                               flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float64)


def slice_changes(before: np.ndarray, after: np.ndarray, w: Word) -> list[float]:
    """Mean grey change of each inked slice of the word, from ``before`` to ``after``."""
    a, b = upright(before, w), upright(after, w)
    step = SLICE_HEIGHT // 2
    return [float(np.abs(a[:, x:x + step] - b[:, x:x + step]).mean()) for x in range(0, a.shape[1], step)
            if a[:, x:x + step].std() > INKED]


def legible(engine: OcrEngine, rgb: np.ndarray, w: Word) -> bool:
    """Whether OCR, reading the word's own quadrilateral (a little grown) on ``rgb``, reads it back."""
    q = np.array(w.quad, dtype=np.float32)
    read = "".join(word.text for word in engine.read(rgb, grown(q, 0.15, 0.25)).words)
    norm = [re.sub(r"\W", "", t.lower()) for t in (read, w.text)]
    return difflib.SequenceMatcher(None, *norm).ratio() >= LEGIBLE


def strings(value: object) -> list[str]:
    """Every string (keys too) in a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []
