"""What a redaction run found and did, handed to the report, the plan sheet and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from wardsafe.detect.seam import Frame
from wardsafe.redact.tracking import Box, Track

if TYPE_CHECKING:
    from wardsafe.redact.people import Person

# What the tracker was fed on each key frame (frame index -> (a new shot begins?, [(kind, [(box, score)],
# [label])])): a second pass over the same video replays it instead of detecting again, and so builds the very
# same tracks (with the same labels).
Recording = dict[int, tuple[bool, list[tuple[str, list[tuple[Box, float]], list[str | None]]]]]

THUMB_SIDE = 112


@dataclass
class Thumbnail:
    """A small picture of a track's clearest face, for the plan's contact sheet (never in the report)."""

    image: np.ndarray
    score: float
    frame: int

    @staticmethod
    def crop(rgb: np.ndarray, box: tuple[float, float, float, float], score: float, frame: int) -> Thumbnail:
        """Crops ``box`` with a margin from ``rgb`` and scales it to a square thumbnail."""
        x0, y0, x1, y1 = box
        m = 0.25 * max(x1 - x0, y1 - y0)
        h, w = rgb.shape[:2]
        left, top = int(max(0, x0 - m)), int(max(0, y0 - m))
        right, bottom = int(min(w, x1 + m)), int(min(h, y1 + m))
        crop = Image.fromarray(rgb[top : max(bottom, top + 1), left : max(right, left + 1)])
        crop.thumbnail((THUMB_SIDE, THUMB_SIDE))
        return Thumbnail(image=np.asarray(crop), score=score, frame=frame)


    @staticmethod
    def of(frame: Frame, box: tuple[float, float, float, float], score: float) -> Thumbnail:
        """A thumbnail of ``box`` on ``frame`` (a photo or a video frame), read at full resolution."""
        x0, y0, x1, y1 = box
        m = 0.25 * max(x1 - x0, y1 - y0)
        left, top = int(max(0, x0 - m)), int(max(0, y0 - m))
        right, bottom = int(min(frame.width, x1 + m + 2)), int(min(frame.height, y1 + m + 2))
        if right - left < 2 or bottom - top < 2:
            left, top, right, bottom = 0, 0, min(frame.width, 2), min(frame.height, 2)
        crop = frame.rgb_crop(left, top, right, bottom)
        left, top = left - left % 2, top - top % 2  # a video frame's crop is aligned to even pixels
        return Thumbnail.crop(crop, (x0 - left, y0 - top, x1 - left, y1 - top), score, frame.index)


@dataclass
class RedactionResult:
    """Facts about one run: input geometry, tracks, counts and timings."""

    kind: str
    source: Path
    width: int = 0
    height: int = 0
    rotation: int = 0
    fps: float | None = None
    frames: int = 0
    pad_frames: int = 0  # frames a track is hidden before its first and after its last detection
    # frames on which something of each kind ("face", "text") was hidden
    frames_hidden: dict[str, int] = field(default_factory=dict)
    has_audio: bool = False
    threshold: float = 0.0  # the detection threshold actually used
    tracks: list[Track] = field(default_factory=list)
    thumbnails: dict[int, Thumbnail] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    # video: what the tracker was fed on each key frame, for a second pass to replay
    recording: Recording = field(default_factory=dict)
    # the people the tracks show (for a plan, or to resolve --keep), and the track ids left visible
    people: list[Person] = field(default_factory=list)
    kept_tracks: frozenset[int] = frozenset()
