"""How far the camera moved the picture from one video frame to the next (one global shift per frame).

Things fixed in the scene (writing on a monitor, a whiteboard, a wristband on a bed) move in the frame only
because the camera moves. Their detector may run on every few key frames only (OCR is slow); between two
readings, and before the first and after the last, the tracker carries their boxes with the camera's motion
(:class:`wardsafe.redact.tracking.Tracker`), so a word on a pan stays covered on every frame, not only where
it was read.

The motion is estimated on the decoding thread, on a small grey copy of each frame (``SMALL_SIDE`` on its
long side): corners found in the previous frame are followed into this one by pyramidal Lucas-Kanade optical
flow, and the median of their shifts is the camera's (people walking through the picture are a minority of
the corners; where too few agree, or too few corners are found, as on a blank wall or at a cut, the camera is
taken to have stood still for that frame). About 2-3 ms a frame at 720p. Phase correlation was tried
first: on the benchmark's pan it overestimated the shift by 14% (its sub-pixel peak is biased at this
scale), 75 px after 100 frames; the median flow, measured from an anchor frame, was within 0.4 px.
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
# The anchor frame moves on once the picture has shifted this far from it (small pixels): the flow pyramid
# follows shifts of a few tens of pixels, and the anchor's corners leave the picture as it pans.
REANCHOR = 16.0


class CameraPath:
    """The camera's motion over a video, frame by frame, as it is decoded.

    ``offset(f)`` is where the scene has moved in the picture by frame ``f`` since frame 0 (full-resolution
    pixels): a point fixed in the scene at ``p`` on frame ``a`` is at ``p + offset(b) - offset(a)`` on
    frame ``b``.

    Each frame is measured against an anchor frame, not against the one before it: small errors then do not
    add up frame by frame (frame-to-frame sums drifted 2 px in 23 frames on the tests' pan). The anchor moves
    on to the current frame once the picture has shifted ``REANCHOR`` small pixels from it, or when the
    shift cannot be told.
    """

    def __init__(self) -> None:
        self._offsets: list[np.ndarray] = []
        self._anchor: np.ndarray | None = None
        self._corners: np.ndarray | None = None
        self._anchor_offset = np.zeros(2)

    def observe(self, frame: Frame) -> None:
        """Adds the next frame (frames must come in order, starting at 0, none skipped)."""
        if frame.index != len(self._offsets):
            raise ValueError(f"camera path expects frame {len(self._offsets)}, got {frame.index}")
        scale = min(1.0, SMALL_SIDE / max(frame.width, frame.height))
        w, h = max(1, round(frame.width * scale)), max(1, round(frame.height * scale))
        grey = frame.small_grey(w, h)
        last = self._offsets[-1] if self._offsets else np.zeros(2)
        shift = None
        if self._anchor is not None and self._anchor.shape == grey.shape:
            shift = shift_between(self._anchor, grey, self._corners)
        if shift is None:  # unknown (or the first frame): no motion since the last frame, measured from here on
            offset = last
            self._set_anchor(grey, offset)
        else:
            offset = self._anchor_offset + shift * (frame.width / w)
            if float(np.abs(shift).max()) > REANCHOR:
                self._set_anchor(grey, offset)
        self._offsets.append(offset)

    def _set_anchor(self, grey: np.ndarray, offset: np.ndarray) -> None:
        self._anchor = grey
        self._corners = cv2.goodFeaturesToTrack(grey, CORNERS, CORNER_QUALITY, CORNER_SPACING)
        self._anchor_offset = offset

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


def shift_between(previous: np.ndarray, current: np.ndarray, corners: np.ndarray | None = None) -> np.ndarray | None:
    """The shift (x, y) that takes the picture ``previous`` to ``current`` (two grey images of one size), from
    ``corners`` of ``previous`` (found here if not given); None where it cannot be told (too few corners, or
    they do not move together)."""
    if corners is None:
        corners = cv2.goodFeaturesToTrack(previous, CORNERS, CORNER_QUALITY, CORNER_SPACING)
    if corners is None or len(corners) < MIN_CORNERS:
        return None
    moved, status, _err = cv2.calcOpticalFlowPyrLK(previous, current, corners, None,  # type: ignore[call-overload]
                                                   winSize=(15, 15), maxLevel=3)
    ok = status[:, 0] == 1
    if int(ok.sum()) < MIN_CORNERS:
        return None
    shifts = (moved - corners)[ok][:, 0, :].astype(np.float64)
    median = np.median(shifts, axis=0)
    agreeing = np.linalg.norm(shifts - median, axis=1) <= AGREE
    if agreeing.mean() < MIN_AGREEING:
        return None
    return np.asarray(shifts[agreeing].mean(axis=0))
