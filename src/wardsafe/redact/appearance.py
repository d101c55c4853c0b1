"""What a face looks like, cheaply: enough to tell whether two tracks show the same person.

No installed wheel ships a face-embedding model that runs without downloads, and a person in one
clip keeps their hair, skin, glasses, mask and clothes, so a hand-made descriptor does: colour
histograms (hue and saturation, then brightness) of the hair band above the face and of the face
itself, and a small contrast-normalised grey picture of the face. Each part is a unit vector; the
similarity of two features is the weighted mean of the parts' cosines (about 1 for one person).

The video pipeline feeds an :class:`AppearanceBook` the face crops of each track's clearest key
frames as it goes; :func:`wardsafe.redact.people.group_people` reads one feature per track.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from wardsafe.detect.seam import Frame
    from wardsafe.redact.tracking import Track

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels

# The region a feature describes, around a face box, in face sizes: a band of hair above, a little
# at each side and below (chin, ears), so the crop holds what stays the same while a head turns.
ABOVE, SIDES, BELOW = 0.45, 0.2, 0.1
# The region is resized to this (width, height) before description: small faces are upscaled, so
# features of one face at different sizes compare.
SIZE = (24, 32)
HAIR_ROWS = 9  # top rows of the resized region: the hair band (ABOVE / (1 + ABOVE + BELOW) of 32)
HUE_BINS, SAT_BINS, VAL_BINS = 12, 4, 8
GREY = (8, 10)  # width, height of the grey face picture
# Weights of the parts in the similarity: hair colour, face colour, face brightness, grey picture.
WEIGHTS = np.array([0.2, 0.3, 0.15, 0.35])
_PARTS = (HUE_BINS * SAT_BINS, HUE_BINS * SAT_BINS, VAL_BINS, GREY[0] * GREY[1])
_EDGES = np.cumsum((0, *_PARTS))
FEATURE_LENGTH = int(_EDGES[-1])
# A cut (a new shot) between two key frames: the colour histograms of the whole frames, seen at
# SIGNATURE_WIDTH pixels wide, are less alike than CUT_COLOUR, or their grey pictures correlate less
# than CUT_GREY. On a pan over group photos cuts scored 0.47-0.54 and 0.98 or more between any other
# key frames; a fast pan lowers the grey correlation (0.49) but not the colours.
SIGNATURE_WIDTH = 32
CUT_COLOUR = 0.8
CUT_GREY = 0.2
# A crop whose face is narrower than this (pixels) says little; it still counts, with less weight.
MIN_FACE_SIDE = 12


def appearance_region(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """The pixel rectangle (x0, y0, x1, y1) around face ``box`` that :func:`appearance_feature` describes.

    Clipped to a ``width`` x ``height`` picture; may be empty for a box outside it.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    left, right = int(max(0, round(x0 - SIDES * w))), int(min(width, round(x1 + SIDES * w)))
    top, bottom = int(max(0, round(y0 - ABOVE * h))), int(min(height, round(y1 + BELOW * h)))
    return left, top, max(left, right), max(top, bottom)


def appearance_crop(rgb: np.ndarray, box: Box) -> np.ndarray:
    """The RGB crop of ``rgb`` (H x W x 3) that describes face ``box`` (a view, not a copy)."""
    left, top, right, bottom = appearance_region(box, rgb.shape[1], rgb.shape[0])
    return rgb[top:bottom, left:right]


def appearance_feature(crop: np.ndarray) -> np.ndarray | None:
    """The feature of an RGB crop from :func:`appearance_crop`; None for a crop under 4 pixels a side."""
    if crop.ndim != 3 or crop.shape[0] < 4 or crop.shape[1] < 4:
        return None
    small = cv2.resize(np.ascontiguousarray(crop[..., :3]), SIZE, interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)  # hue 0..179, saturation and value 0..255
    hue = (hsv[..., 0].astype(np.int32) * HUE_BINS) // 180
    sat = (hsv[..., 1].astype(np.int32) * SAT_BINS) // 256
    val = (hsv[..., 2].astype(np.int32) * VAL_BINS) // 256
    colour = hue * SAT_BINS + sat
    # Grey pixels have no meaningful hue: they vote by brightness only (through `val`), not colour.
    chroma = hsv[..., 1] >= 24
    hair = np.zeros(SIZE[1], bool)
    hair[:HAIR_ROWS] = True
    parts = []
    for rows in (hair, ~hair):
        votes = colour[rows][chroma[rows]]
        parts.append(np.bincount(votes, minlength=HUE_BINS * SAT_BINS).astype(np.float64))
    parts.append(np.bincount(val[~hair].ravel(), minlength=VAL_BINS).astype(np.float64))
    grey = cv2.cvtColor(small[HAIR_ROWS:], cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, GREY, interpolation=cv2.INTER_AREA).astype(np.float64).ravel()
    parts.append(grey - grey.mean())  # contrast-normalised below: lighting changes cancel out
    # Histograms as square roots (Hellinger): their cosine is the Bhattacharyya coefficient.
    out = [np.sqrt(p) if n < 3 else p for n, p in enumerate(parts)]
    return np.concatenate([_unit(p) for p in out])


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """How alike two features are: about 1 for one face, lower for two (weighted mean of part cosines)."""
    cosines = np.array([float(a[s:e] @ b[s:e]) for s, e in zip(_EDGES[:-1], _EDGES[1:], strict=True)])
    return float(WEIGHTS @ cosines / WEIGHTS.sum())


def similarities(features: list[np.ndarray]) -> np.ndarray:
    """:func:`similarity` of every pair of ``features`` at once, as a square matrix."""
    if not features:
        return np.zeros((0, 0))
    stacked = np.stack(features)
    out = np.zeros((len(features), len(features)))
    for weight, s, e in zip(WEIGHTS, _EDGES[:-1], _EDGES[1:], strict=True):
        out += weight * (stacked[:, s:e] @ stacked[:, s:e].T)
    return out / WEIGHTS.sum()


def mean_feature(features: list[np.ndarray], weights: list[float] | None = None) -> np.ndarray:
    """The (weighted) mean of several features of one face, each part a unit vector again."""
    stacked = np.average(np.stack(features), axis=0, weights=weights)
    return np.concatenate([_unit(stacked[s:e]) for s, e in zip(_EDGES[:-1], _EDGES[1:], strict=True)])


def frame_signature(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """A tiny summary of a whole frame, to tell a cut: its colour histogram and its grey picture."""
    height = max(4, round(SIGNATURE_WIDTH * frame.height / max(frame.width, 1)))
    small = np.ascontiguousarray(frame.small_rgb(SIGNATURE_WIDTH, height)[..., :3])
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    colour = cv2.calcHist([hsv], [0, 1], None, [HUE_BINS, SAT_BINS], [0, 180, 0, 256]).ravel().astype(np.float64)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float64).ravel()
    return _unit(np.sqrt(colour)), _unit(grey - grey.mean())


def is_cut(before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether two frame signatures (see :func:`frame_signature`) are of different shots."""
    return float(before[0] @ after[0]) < CUT_COLOUR or float(before[1] @ after[1]) < CUT_GREY


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 1e-9 else np.zeros_like(v)


class AppearanceBook:
    """Features of each track's clearest faces, collected while a video is read.

    Keeps at most ``per_track`` features per track, those of its best-scoring crops; a feature is
    computed when its crop is added, so the crop can be dropped at once and memory stays small.
    """

    def __init__(self, per_track: int = 6) -> None:
        self.per_track = per_track
        self._kept: dict[int, list[tuple[float, np.ndarray, float]]] = {}  # score, feature, weight
        # Key frames that begin a new shot (see new_shot), in increasing order.
        self.cuts: list[int] = []
        self._last_signature: tuple[np.ndarray, np.ndarray] | None = None

    def new_shot(self, frame: Frame) -> bool:
        """Whether key frame ``frame`` begins a new shot (a cut since the previous key frame); records it.

        Call it for every key frame, in order, before its detections reach the tracker: a face is not
        followed across a cut by motion, since its position after a cut says nothing.
        """
        signature = frame_signature(frame)
        cut = self._last_signature is not None and is_cut(self._last_signature, signature)
        self._last_signature = signature
        if cut:
            self.cuts.append(frame.index)
        return cut

    def wants(self, track_id: int, score: float) -> bool:
        """Whether a crop of ``track_id`` scoring ``score`` would be kept (lets a caller skip cropping)."""
        kept = self._kept.get(track_id, [])
        return len(kept) < self.per_track or score > kept[-1][0]

    def add(self, track_id: int, rgb_crop: np.ndarray, score: float) -> None:
        """Adds a crop of ``track_id``'s face (from :func:`appearance_crop`) detected with ``score``."""
        if not self.wants(track_id, score):
            return
        feature = appearance_feature(rgb_crop)
        if feature is None:
            return
        # The face is about 1/1.4 of the region's width: a tiny face weighs less in the mean.
        face_side = rgb_crop.shape[1] / (1 + 2 * SIDES)
        weight = min(1.0, max(0.2, face_side / MIN_FACE_SIDE))
        kept = self._kept.setdefault(track_id, [])
        kept.append((score, feature, weight))
        kept.sort(key=lambda k: -k[0])
        del kept[self.per_track :]

    def observe(self, tracks: Iterable[Track], frame: Frame) -> None:
        """Adds a crop of every face track detected on ``frame`` (a key frame just given to the tracker).

        Reads only the few small rectangles it keeps, at full resolution, through ``frame.rgb_crop``.
        """
        for track in tracks:
            if track.kind != "face" or not track.observations or track.last_frame != frame.index:
                continue
            obs = track.observations[-1]
            if not self.wants(track.id, obs.score):
                continue
            x0, y0, x1, y1 = appearance_region(obs.box, frame.width, frame.height)
            if x1 - x0 >= 4 and y1 - y0 >= 4:
                self.add(track.id, frame.rgb_crop(x0, y0, x1, y1), obs.score)

    def feature(self, track_id: int) -> np.ndarray | None:
        """The mean feature of ``track_id``'s kept crops, or None if none was added."""
        kept = self._kept.get(track_id)
        if not kept:
            return None
        return mean_feature([f for _, f, _ in kept], [w for _, _, w in kept])

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._kept

    def __len__(self) -> int:
        return len(self._kept)
