"""Redacts a video: detect faces on key frames, track them, hide them on every frame, encode.

Five things overlap on two cores, each on a thread of its own: decoding and tracking (the main
thread), face detection (ONNX Runtime releases the GIL), hiding faces (OpenCV releases it too),
encoding (FFmpeg), and the libx264 encoder's own threads. Frames wait in a short buffer until
every track that could cover them is known, so a face is hidden from a few frames before it is
first detected.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from wardsafe.config import get_settings
from wardsafe.detect.faces import DEFAULT_THRESHOLD, FaceBox, FaceDetector, load_face_detector
from wardsafe.errors import InputError
from wardsafe.media.video import VideoReader, VideoWriter, YuvFrame
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.render import boxes_to_hide, hide_on_frame, regions_for
from wardsafe.redact.result import RedactionResult, Thumbnail
from wardsafe.redact.tracking import Box, Tracker, iou, match_cost

Progress = Callable[[int, int], None]  # (frames done, frames expected or 0)

# Tracking needs a face found on most key frames. Small faces in video often score 0.05-0.2, so
# video detection runs lower than the photo default: at 0.1 the 720p benchmark clip left faces
# readable on 40% of frames, at 0.05 on none. A false detection only blurs a little more.
VIDEO_THRESHOLD = 0.05
# Side (pixels) of the tile a missed face's surroundings are scaled to when looking again close up
# (the face fills about a third of it), and how many faces one key frame looks for again.
CLOSE_UP_TILE = 128
MAX_CLOSE_UPS = 36
# Only tracks that once looked like a face this clearly are looked for again (not texture).
CLOSE_UP_MIN_SCORE = 0.1
# Key frames that may wait for detection before decoding pauses.
DETECTIONS_AHEAD = 4
# Frames that may wait for hiding and encoding (each on a thread of its own) before decoding pauses.
WRITES_AHEAD = 8


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
    timings = {"detect_s": 0.0, "look_again_s": 0.0}
    tracker: Tracker | None = None
    thumbnails: dict[int, Thumbnail] = {}
    threshold = VIDEO_THRESHOLD if options.threshold is None else options.threshold
    result = RedactionResult(kind="video", source=source, threshold=threshold)

    # Key frames are searched on a worker thread by a session of their own, so that the close-up
    # searches on this thread (look_again) never wait for it; one thread each keeps both cores busy.
    # By default both use the int8 copy of the model (twice as fast; WARDSAFE_VIDEO_PRECISION).
    precision = get_settings().video_model_precision
    keyframes = load_face_detector(detector.model_path, threads=1, precision=precision)
    if keyframes is detector:
        keyframes = FaceDetector(detector.model_path, threads=1)
    result.keyframe_model = {"name": keyframes.model_name, "sha256": keyframes.model_sha256}
    # Close-ups run the same model as key frames, in a session of their own (another thread count, so
    # another cached detector) so neither waits for the other; with float precision this is `detector`.
    closeups = load_face_detector(detector.model_path, threads=detector.threads, precision=precision)
    with (
        VideoReader(source) as reader,
        ThreadPoolExecutor(max_workers=1) as detecting,
        ThreadPoolExecutor(max_workers=1) as hiding,
        ThreadPoolExecutor(max_workers=1) as encoding,
    ):
        writer: VideoWriter | None = None
        written: deque[Future[None]] = deque()  # frames handed to the encoding thread, in order
        frames: deque[YuvFrame] = deque()
        pending: deque[tuple[YuvFrame, np.ndarray, float, Future[list[FaceBox]]]] = deque()
        expected = reader.declared_frames

        def finish_detections(block_until: int) -> None:
            """Feeds finished detections to the tracker in frame order (waits for those <= block_until)."""
            while pending and (pending[0][3].done() or pending[0][0].index <= block_until):
                key, small, scale, future = pending.popleft()
                index = key.index
                faces = future.result()
                dets: list[tuple[Box, float]] = [
                    ((f.x0 * scale, f.y0 * scale, f.x1 * scale, f.y1 * scale), f.score) for f in faces
                ]
                missed = tracker.missed(index, dets, min_score=CLOSE_UP_MIN_SCORE)
                if missed:
                    t0 = time.perf_counter()
                    dets += look_again(closeups, key, missed, threshold, dets)
                    timings["look_again_s"] += time.perf_counter() - t0
                tracker.update(index, dets)
                if want_thumbnails:
                    _update_thumbnails(thumbnails, tracker, index, small, scale)

        def emit(frame: YuvFrame) -> None:
            boxes = boxes_to_hide(tracker.boxes_at(frame.index), options.keep, tracker.tracks, DEFAULT_THRESHOLD)
            if boxes:
                result.frames_with_hidden_faces += 1
            if writer is not None:
                hidden = None
                if boxes:
                    regions = regions_for(boxes, tracker, options.stride, frame.width, frame.height)
                    hidden = hiding.submit(hide_on_frame, frame, regions, options.filter)
                written.append(encoding.submit(_write_when_hidden, writer, frame, hidden))
                # a failed write surfaces here, and decoding never runs more than WRITES_AHEAD frames ahead
                while len(written) > WRITES_AHEAD:
                    written.popleft().result()
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
                pending.append((frame, small, scale, detecting.submit(_timed, keyframes, small, threshold, timings)))
            frames.append(frame)
            # Decoding may run a few key frames ahead of detection (smooths out slow detections),
            # but no further, so memory stays bounded.
            finish_detections(block_until=frame.index - DETECTIONS_AHEAD * options.stride)
            while frames and frames[0].index + lag <= tracker.last_frame:
                emit(frames.popleft())
        if tracker is None:
            raise InputError(f"{source.name}: video track holds no frames")
        finish_detections(block_until=1 << 62)
        tracker.finish(result.frames + len(frames) - 1)
        while frames:
            emit(frames.popleft())
        while written:
            written.popleft().result()
        if writer is not None:
            writer.close()
        result.fps = float(reader.rate)
        result.has_audio = reader.audio is not None

    result.tracks = tracker.tracks
    result.thumbnails = thumbnails
    result.timings = {"total_s": time.perf_counter() - started, **timings}
    return result


def _write_when_hidden(writer: VideoWriter, frame: YuvFrame, hidden: Future[None] | None) -> None:
    """Encodes ``frame`` once its faces are hidden (on the encoding thread, in frame order).

    A failure to hide is re-raised here, so the frame is never written with a face showing.
    """
    if hidden is not None:
        hidden.result()
    writer.write(frame)


def look_again(
    detector: FaceDetector, frame: YuvFrame, boxes: list[Box], threshold: float, known: list[tuple[Box, float]]
) -> list[tuple[Box, float]]:
    """Looks for faces close up, at full resolution, around the boxes where tracked faces were expected.

    Key-frame detection runs on a reduced copy, where a small face may drop below what the detector
    sees. Around each expected face a crop three face-widths wide is scaled so the face is about a
    third of a ``CLOSE_UP_TILE`` tile; the tiles are laid side by side and searched in one detector
    run, so looking again costs one small inference however many faces were missed. Returns at most
    one detection per box: the one that continues that track (never new faces: at this zoom,
    texture would start false tracks).
    """
    boxes = boxes[:MAX_CLOSE_UPS]
    cols = max(1, int(np.ceil(np.sqrt(len(boxes)))))
    rows = -(-len(boxes) // cols)
    mosaic = np.zeros((rows * CLOSE_UP_TILE, cols * CLOSE_UP_TILE, 3), np.uint8)
    placed: list[tuple[int, int, float]] = []  # crop origin in the frame, and its scale
    for n, (x0, y0, x1, y1) in enumerate(boxes):
        side = max(x1 - x0, y1 - y0, 8.0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left, top = int(max(0, cx - 1.5 * side)), int(max(0, cy - 1.5 * side))
        right, bottom = int(min(frame.width, cx + 1.5 * side)), int(min(frame.height, cy + 1.5 * side))
        if right - left < 8 or bottom - top < 8:
            placed.append((0, 0, 0.0))
            continue
        rgb = frame.rgb_crop(left, top, right, bottom)
        left, top = left - left % 2, top - top % 2  # rgb_crop aligns to even pixels
        scale = CLOSE_UP_TILE / (3 * side)
        h, w = rgb.shape[:2]
        size = (max(1, min(CLOSE_UP_TILE, round(w * scale))), max(1, min(CLOSE_UP_TILE, round(h * scale))))
        r, c = divmod(n, cols)
        mosaic[r * CLOSE_UP_TILE : r * CLOSE_UP_TILE + size[1], c * CLOSE_UP_TILE : c * CLOSE_UP_TILE + size[0]] = (
            cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR))
        placed.append((left, top, scale))
    candidates: list[list[tuple[float, Box, float]]] = [[] for _ in boxes]
    for face in detector.detect(mosaic, threshold):
        r, c = int(face.cy // CLOSE_UP_TILE), int(face.cx // CLOSE_UP_TILE)
        n = r * cols + c
        if n >= len(boxes) or placed[n][2] == 0.0:
            continue
        left, top, scale = placed[n]
        ox, oy = c * CLOSE_UP_TILE, r * CLOSE_UP_TILE
        box = (left + (face.x0 - ox) / scale, top + (face.y0 - oy) / scale,
               left + (face.x1 - ox) / scale, top + (face.y1 - oy) / scale)
        cost = match_cost(boxes[n], box)
        if cost < 1.0:
            candidates[n].append((cost, box, face.score))
    found: list[tuple[Box, float]] = []
    for options in candidates:
        for _cost, box, score in sorted(options):
            if all(iou(box, other) < 0.5 for other, _ in known + found):
                found.append((box, score))
                break
    return found


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
