"""Redacts a video: detect faces on key frames, track them, hide them on every frame, encode.

Three things overlap on two cores: decoding and encoding on the main thread (PyAV releases the
GIL inside FFmpeg), face detection on a worker thread (ONNX Runtime releases it too), and the
libx264 encoder's own threads. Frames wait in a short buffer until every track that could cover
them is known, so a face is hidden from a few frames before it is first detected.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from wardsafe.detect.faces import DEFAULT_THRESHOLD, FaceBox, FaceDetector
from wardsafe.errors import InputError
from wardsafe.media.video import VideoReader, VideoWriter, YuvFrame
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.render import boxes_to_hide, hide_on_frame, regions_for
from wardsafe.redact.result import RedactionResult, Thumbnail
from wardsafe.redact.tracking import Box, Tracker

Progress = Callable[[int, int], None]  # (frames done, frames expected or 0)

# Tracking needs a face found on most key frames. Small faces in video often score 0.05-0.2, so
# video detection runs lower than the photo default: at 0.1 the 720p benchmark clip left faces
# readable on 40% of frames, at 0.05 on none. A false detection only blurs a little more.
VIDEO_THRESHOLD = 0.05


def detection_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Size of the frame copy that detection runs on: at most ``long_side``, sides multiples of 32."""
    scale = min(1.0, long_side / max(width, height))
    return max(32, int(round(width * scale / 32)) * 32), max(32, int(round(height * scale / 32)) * 32)


def redact_video(
    source: Path,
    target: Path | None,
    detector: FaceDetector,
    options: RedactOptions,
    progress: Progress | None = None,
    want_thumbnails: bool = False,
) -> RedactionResult:
    """Redacts ``source`` into ``target`` (or only plans the tracks when ``target`` is None).

    Raises InputError for a damaged input and RedactionError if a stage fails; the caller
    writes ``target`` through :func:`wardsafe.media.atomic.atomic_output` so that a failure
    leaves no file.
    """
    started = time.perf_counter()
    timings = {"detect_s": 0.0}
    tracker: Tracker | None = None
    thumbnails: dict[int, Thumbnail] = {}
    threshold = VIDEO_THRESHOLD if options.threshold is None else options.threshold
    result = RedactionResult(kind="video", source=source, threshold=threshold)

    with VideoReader(source) as reader, ThreadPoolExecutor(max_workers=1) as pool:
        writer: VideoWriter | None = None
        frames: deque[YuvFrame] = deque()
        pending: deque[tuple[int, np.ndarray, float, Future[list[FaceBox]]]] = deque()
        expected = reader.declared_frames

        def finish_detections(block_until: int) -> None:
            """Feeds finished detections to the tracker in frame order (waits for those <= block_until)."""
            while pending and (pending[0][3].done() or pending[0][0] <= block_until):
                index, small, scale, future = pending.popleft()
                faces = future.result()
                dets: list[tuple[Box, float]] = [
                    ((f.x0 * scale, f.y0 * scale, f.x1 * scale, f.y1 * scale), f.score) for f in faces
                ]
                tracker.update(index, dets)
                if want_thumbnails:
                    _update_thumbnails(thumbnails, tracker, index, small, scale)

        def emit(frame: YuvFrame) -> None:
            boxes = boxes_to_hide(tracker.boxes_at(frame.index), options.keep, tracker.tracks, DEFAULT_THRESHOLD)
            if boxes:
                result.frames_with_hidden_faces += 1
                if writer is not None:
                    regions = regions_for(boxes, tracker, options.stride, frame.width, frame.height)
                    hide_on_frame(frame, regions, options.filter)
            if writer is not None:
                writer.write(frame)
            result.frames += 1
            if progress is not None:
                progress(result.frames, expected)

        for frame in reader.frames():
            if frame.index == 0:
                result.width, result.height = frame.width, frame.height
                result.rotation = reader.rotation
                det_w, det_h = detection_size(frame.width, frame.height, options.detect_long_side)
                scale = frame.width / det_w
                # Gaps in detection up to `max_gap_s` are bridged. A frame is final once every track
                # that could reach it is known (see Tracker.boxes_at), hence the lag.
                max_gap = max(options.stride, round(options.max_gap_s * float(reader.rate)))
                tracker = Tracker(pad=options.pad_frames, max_gap=max_gap)
                lag = options.pad_frames + max_gap + options.stride
                if target is not None:
                    writer = VideoWriter(target, reader, frame.width, frame.height)
            if frame.index % options.stride == 0:
                small = frame.small_rgb(det_w, det_h)
                pending.append((frame.index, small, scale, pool.submit(_timed, detector, small, threshold, timings)))
            frames.append(frame)
            # Keep at most two detections queued so decoding never runs far ahead of detection.
            finish_detections(block_until=frame.index - 2 * options.stride)
            while frames and frames[0].index + lag <= tracker.last_frame:
                emit(frames.popleft())
        if tracker is None:
            raise InputError(f"{source.name}: video track holds no frames")
        finish_detections(block_until=1 << 62)
        tracker.finish(result.frames + len(frames) - 1)
        while frames:
            emit(frames.popleft())
        if writer is not None:
            writer.close()
        result.fps = float(reader.rate)
        result.has_audio = reader.audio is not None

    result.tracks = tracker.tracks
    result.thumbnails = thumbnails
    result.timings = {"total_s": time.perf_counter() - started, **timings}
    return result


def _timed(detector: FaceDetector, small: np.ndarray, threshold: float, timings: dict) -> list[FaceBox]:
    t0 = time.perf_counter()
    faces = detector.detect(small, threshold)
    timings["detect_s"] += time.perf_counter() - t0
    return faces


def _update_thumbnails(
    thumbnails: dict[int, Thumbnail], tracker: Tracker, index: int, small: np.ndarray, scale: float
) -> None:
    for track in tracker.tracks:
        if track.last_frame != index:
            continue
        obs = track.observations[-1]
        best = thumbnails.get(track.id)
        if best is None or obs.score > best.score:
            x0, y0, x1, y1 = (v / scale for v in obs.box)
            thumbnails[track.id] = Thumbnail.crop(small, (x0, y0, x1, y1), obs.score, index)
