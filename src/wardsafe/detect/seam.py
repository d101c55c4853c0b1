"""The detector seam: one small interface for everything that finds something to hide.

The engine (``wardsafe.redact``) never loads a model. It is handed a :class:`Detectors` bundle,
built once per process by :func:`wardsafe.detect.registry.build_detectors`, and asks each
:class:`RegionDetector` for regions on key frames; the tracker follows them between key frames,
each track keeping its detector's ``kind``. Adding a detector (faces, text, ...) means writing one
class here-shaped and registering it in the factory: the photo and video frame loops do not change.

Speech is another shape (time spans, not boxes): a :class:`SpeechDetector` is run over the sound
before the first frame is written, and the audio writer applies its spans.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from wardsafe.detect.boxes import Box

Region = tuple[int, int, int, int]  # a pixel rectangle to hide; the shape inside it is the detector's
# "ellipse": the ellipse inscribed in the region (heads); "rect": the whole rectangle; "text": the whole
# rectangle, hidden in cells at least half its shorter side (the text's height) whatever its length.
# Labels of text detections that name no identifier: a line no one could read (hidden because it may be
# text), and any word hidden under --text all.
UNREADABLE_LABEL = "UNREADABLE_TEXT"
ALL_LABEL = "TEXT"
Shape = Literal["ellipse", "rect", "text"]


class Frame(Protocol):
    """An upright picture a detector searches: a photo, or a decoded video frame.

    Detectors read pixels only through these methods, so a video frame is converted to RGB at the
    size each detector needs and never as a whole when a crop will do.
    """

    index: int
    # The key frame's number among a video's key frames (0, 1, 2 ...); 0 for a photo.
    key: int

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def still(self) -> bool:
        """True for a photo (searched once, thoroughly); False for a video key frame (tracked after)."""
        ...

    def small_rgb(self, width: int, height: int) -> np.ndarray:
        """The whole frame as RGB (H x W x 3 uint8), scaled to ``width`` x ``height``."""
        ...

    def small_grey(self, width: int, height: int) -> np.ndarray:
        """The whole frame as grey (H x W uint8), scaled to ``width`` x ``height``."""
        ...

    def rgb_crop(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """RGB pixels of a rectangle at full resolution; each corner coordinate is rounded down to even.

        (Video frames are 4:2:0, where colour comes in 2 x 2 blocks; photos follow the same rule so
        that callers have one rule: the crop starts at ``(x0 - x0 % 2, y0 - y0 % 2)``.)
        """
        ...


class RgbFrame:
    """A photo (or any RGB array) as a :class:`Frame`."""

    def __init__(self, rgb: np.ndarray, index: int = 0, still: bool = True) -> None:
        self.rgb = rgb
        self.index = index
        self.key = 0
        self.still = still

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.rgb.shape[0])

    def small_rgb(self, width: int, height: int) -> np.ndarray:
        """The photo scaled to ``width`` x ``height`` (itself when the size is unchanged)."""
        if (width, height) == (self.width, self.height):
            return self.rgb
        import cv2  # only when scaling: keeps this module light

        shrink = width * height < self.width * self.height
        return cv2.resize(self.rgb, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)

    def small_grey(self, width: int, height: int) -> np.ndarray:
        """The photo scaled to ``width`` x ``height``, grey."""
        import cv2

        grey: np.ndarray = cv2.cvtColor(np.ascontiguousarray(self.small_rgb(width, height)), cv2.COLOR_RGB2GRAY)
        return grey

    def rgb_crop(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """A view of the rectangle, corners rounded down to even as on video frames (clipped to the photo)."""
        x0, y0, x1, y1 = (max(0, c - c % 2) for c in (x0, y0, x1, y1))
        return self.rgb[y0:y1, x0:x1]


@dataclass(frozen=True, slots=True)
class Detection:
    """Something found on one frame: its box in the frame's pixels, a 0..1 score, and optionally what it is
    (``label``: the text stage's identifier type, such as ``DATE_OF_BIRTH``; never the value) and, on a
    photo, the smaller boxes inside ``box`` that together cover it (``parts``: a rotated word; hidden in
    place of the whole box, so its neighbours stay readable)."""

    box: Box
    score: float
    label: str | None = None
    parts: tuple[Box, ...] = ()


class RegionDetector(ABC):
    """Finds regions to hide in pictures. One instance per process, shared by every job (thread-safe).

    Subclasses set ``kind`` (what is found: "face", "text"), ``shape`` (how it is hidden: an ellipse
    for heads, a rectangle for text), ``model_name`` and ``model_sha256`` (for the report), and
    ``confirm_score``: a track whose best detection reaches it is certainly a ``kind`` (weaker ones are
    still hidden, uncertain means hide, but may be texture).
    """

    kind: str
    shape: Shape
    model_name: str
    model_sha256: str
    confirm_score: float = 0.5
    # Only tracks that once scored this are looked for again when a key frame misses them (not texture).
    established_score: float = 0.0
    # Run on every ``cadence``-th key frame of a video (a slow detector runs less often; tracks fill in).
    cadence: int = 1
    # What it finds stays where it is in the scene (writing), so between detections the engine carries its
    # tracks with the camera's motion (wardsafe.redact.camera_motion) rather than only along their own.
    fixed_in_scene: bool = False
    # When a key frame misses an established track even on looking again, the engine looks for the thing's
    # last detected look near where the track expects it (wardsafe.redact.follow): a head stays a head
    # while its face is turned or covered. Not for writing, which camera motion carries instead.
    follows_appearance: bool = False

    def period(self, width: int, height: int) -> int:
        """Key frames between two looks at the same spot of a ``width`` x ``height`` video.

        ``cadence`` by default; a detector that searches a different part of the frame on each key
        frame says how many it takes to cover the whole. The engine carries tracks back that far,
        so a thing is hidden from before the key frame it was first found on.
        """
        return self.cadence

    @abstractmethod
    def find(self, frame: Frame) -> list[Detection]:
        """Everything of this kind on ``frame`` (a photo, or a video key frame), boxes in its pixels."""

    def look_again(self, frame: Frame, expected: list[Box], known: list[Box]) -> list[Detection]:
        """Looks closer where tracks expect something that ``find`` missed on this key frame.

        Returns at most one detection per expected box, none overlapping ``known`` boxes; by default
        nothing (the tracker then carries the track on for a while anyway).
        """
        return []

    def region(self, box: Box, width: int, height: int) -> Region:
        """The pixel rectangle to hide for ``box`` on a ``width`` x ``height`` frame (clipped to it).

        By default the box itself, rounded outwards; a face detector grows it to the whole head.
        """
        return clip_region(box, width, height)

    def describe(self) -> dict[str, object]:
        """Kind, model name and model sha256, for the report."""
        return {"kind": self.kind, "name": self.model_name, "sha256": self.model_sha256}


def clip_region(box: Box, width: int, height: int) -> Region:
    """``box`` rounded outwards to whole pixels and clipped to a ``width`` x ``height`` frame."""
    x0, y0, x1, y1 = box
    left = min(max(int(np.floor(x0)), 0), width)
    top = min(max(int(np.floor(y0)), 0), height)
    right = max(min(int(np.ceil(x1)), width), left)
    bottom = max(min(int(np.ceil(y1)), height), top)
    return left, top, right, bottom


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of sound to hide: start and end in seconds, and what it is (never its words)."""

    start_s: float
    end_s: float
    kind: str


class SpeechDetector(Protocol):
    """Finds spans of speech to hide (names, dates of birth, NHS numbers ...) in mono PCM."""

    kind: str
    model_name: str
    model_sha256: str

    def find(self, pcm: np.ndarray, rate: int) -> list[Span]:
        """Spans to hide in ``pcm`` (float32 mono samples at ``rate`` Hz)."""
        ...


# A find of a later detector of a kind that overlaps an earlier one's this much (IoU), or lies this much
# inside it (share of the smaller box), is the same thing found twice.
MERGE_IOU = 0.4
MERGE_CONTAIN = 0.7


def merge_by_kind(found: list[tuple[RegionDetector, list[Detection]]]) -> dict[str, list[Detection]]:
    """Detections of one frame grouped by kind, with what a later detector of a kind found again dropped.

    Several detectors may share a kind (a fine pass for small faces, a second face model for masked
    ones); the tracker must see each face once. The first detector's finds stand as they are (each
    detector already merged its own), so tracks continue on the same detector's boxes.
    """
    by_kind: dict[str, list[Detection]] = {}
    for detector, detections in found:
        kept = by_kind.setdefault(detector.kind, [])
        kept.extend(not_found_in(detections, kept))
    return by_kind


def not_found_in(detections: list[Detection], earlier: list[Detection]) -> list[Detection]:
    """The ``detections`` that are not the same thing as one of ``earlier`` (see ``MERGE_IOU``, ``MERGE_CONTAIN``)."""
    if not detections or not earlier:
        return list(detections)
    a = np.array([d.box for d in detections], dtype=np.float64)[:, None, :]
    b = np.array([d.box for d in earlier], dtype=np.float64)[None, :, :]
    inter = (np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
             * np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None))
    area_a = np.clip(a[..., 2] - a[..., 0], 0, None) * np.clip(a[..., 3] - a[..., 1], 0, None)
    area_b = np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)
    small = np.minimum(area_a, area_b)
    same = (inter >= MERGE_IOU * (area_a + area_b - inter)) | ((small > 0) & (inter >= MERGE_CONTAIN * small))
    return [d for d, dup in zip(detections, same.any(axis=1), strict=True) if not dup]


@dataclass
class Detectors:
    """Every detector one job runs, handed to the engine by the factory (the engine loads nothing)."""

    regions: list[RegionDetector] = field(default_factory=list)
    speech: list[SpeechDetector] = field(default_factory=list)

    def __iter__(self) -> Iterator[RegionDetector]:
        return iter(self.regions)

    def of_kind(self, kind: str) -> RegionDetector:
        """The first region detector of ``kind``: it looks again, and says how that kind is hidden.

        KeyError if none runs.
        """
        for detector in self.regions:
            if detector.kind == kind:
                return detector
        raise KeyError(kind)

    def describe(self) -> list[dict[str, object]]:
        """Kind, model name and sha256 of every detector, for the report."""
        return [d.describe() for d in self.regions] + [
            {"kind": s.kind, "name": s.model_name, "sha256": s.model_sha256} for s in self.speech
        ]
