"""How far the camera moved the picture from one video frame to the next (one global shift per frame).

Things fixed in the scene (writing on a monitor, a whiteboard, a wristband on a bed) move in the frame only
because the camera moves. Their detector may run on every few key frames only (OCR is slow); between two
readings, and before the first and after the last, the tracker carries their boxes with the camera's motion
(:class:`wardsafe.redact.tracking.Tracker`), so a word on a pan stays covered on every frame, not only where
it was read.

The motion is estimated on the decoding thread, on a small grey copy of each frame (``SMALL_SIDE`` on its
long side): corners found in the previous frame are followed into this one by pyramidal Lucas-Kanade optical
flow, and the median of their shifts is the camera's (people walking through the picture are a minority of
the corners). About 2-3 ms a frame at 720p. Phase correlation was tried first: on the benchmark's pan it
overestimated the shift by 14% (its sub-pixel peak is biased at this scale), 75 px after 100 frames; the
median flow drifted under 4 px.
"""

from __future__ import annotations

import cv2
import numpy as np

from wardsafe.detect.seam import Frame

# Long side of the grey copy the motion is estimated on (pixels): a pan of 30 px a frame at 1080p is under
# 10 px here, well inside the flow pyramid's reach.
SMALL_SIDE = 320
# Corners followed per frame, their minimum quality (share of the best) and spacing (small pixels).
CORNERS = 200
CORNER_QUALITY = 0.01
CORNER_SPACING = 8
# Fewer corners followed than this (a blank wall, a cut to black): the motion is unknown and taken as none.
MIN_CORNERS = 8
# Fewer than this share of the followed corners agreeing with the median (within AGREE small pixels): the
# picture did not move as one (a cut, a close-up of someone walking past), so no camera motion is assumed.
MIN_AGREEING = 0.3
AGREE = 1.0


class CameraPath:
    """The camera's motion over a video, frame by frame, as it is decoded.

    ``offset(f)`` is where the scene has moved in the picture by frame ``f`` since frame 0 (full-resolution
    pixels): a point fixed in the scene at ``p`` on frame ``a`` is at ``p + offset(b) - offset(a)`` on
    frame ``b``.
    """

    def __init__(self) -> None:
        self._offsets: list[np.ndarray] = []
        self._previous: np.ndarray | None = None
        self._scale = 1.0  # full-resolution pixels per small pixel

    def observe(self, frame: Frame) -> None:
        """Adds the next frame (frames must come in order, starting at 0, none skipped)."""
        if frame.index != len(self._offsets):
            raise ValueError(f"camera path expects frame {len(self._offsets)}, got {frame.index}")
        scale = min(1.0, SMALL_SIDE / max(frame.width, frame.height))
        w, h = max(1, round(frame.width * scale)), max(1, round(frame.height * scale))
        grey = cv2.cvtColor(frame.small_rgb(w, h), cv2.COLOR_RGB2GRAY)
        step = np.zeros(2)
        if self._previous is not None and self._previous.shape == grey.shape:
            step = shift_between(self._previous, grey) * (frame.width / w)
        last = self._offsets[-1] if self._offsets else np.zeros(2)
        self._offsets.append(last + step)
        self._previous = grey

    def offset(self, frame: int) -> np.ndarray:
        """Where the scene has moved in the picture by ``frame`` since frame 0 (x, y in pixels); frames not
        yet seen keep the last known offset."""
        if not self._offsets:
            return np.zeros(2)
        return self._offsets[min(max(frame, 0), len(self._offsets) - 1)]

    @property
    def frames(self) -> int:
        """Frames observed so far."""
        return len(self._offsets)


def shift_between(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """The shift (x, y) that takes the picture ``previous`` to ``current`` (two grey images of one size);
    zeros where it cannot be told (too few corners, or they do not move together)."""
    corners = cv2.goodFeaturesToTrack(previous, CORNERS, CORNER_QUALITY, CORNER_SPACING)
    if corners is None or len(corners) < MIN_CORNERS:
        return np.zeros(2)
    moved, status, _err = cv2.calcOpticalFlowPyrLK(previous, current, corners, None, winSize=(15, 15), maxLevel=3)
    ok = status[:, 0] == 1
    if int(ok.sum()) < MIN_CORNERS:
        return np.zeros(2)
    shifts = (moved - corners)[ok][:, 0, :].astype(np.float64)
    median = np.median(shifts, axis=0)
    agreeing = np.linalg.norm(shifts - median, axis=1) <= AGREE
    if agreeing.mean() < MIN_AGREEING:
        return np.zeros(2)
    return np.asarray(shifts[agreeing].mean(axis=0))
