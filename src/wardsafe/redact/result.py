"""What a redaction run found and did, handed to the report, the plan sheet and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from wardsafe.redact.tracking import Track

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
    frames_with_hidden_faces: int = 0
    has_audio: bool = False
    threshold: float = 0.0  # the detection threshold actually used
    keyframe_model: dict[str, str] | None = None  # video: name and sha256 of the model key frames ran
    tracks: list[Track] = field(default_factory=list)
    thumbnails: dict[int, Thumbnail] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
