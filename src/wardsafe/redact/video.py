"""Redacts a video: run the detectors on key frames, track what they find, hide it on every frame, encode.

Five things overlap on two cores, each on a thread of its own: decoding and tracking (the main
thread), detection (ONNX Runtime releases the GIL), hiding (OpenCV releases it too), encoding
(FFmpeg), and the libx264 encoder's own threads. Frames wait in a short buffer until every track
that could cover them is known, so a face is hidden from a few frames before it is first detected.

The loop knows detectors only through the seam (:mod:`wardsafe.detect.seam`): whatever a detector
finds becomes tracks of its kind, hidden in its shape. Adding a detector never changes this file.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from wardsafe.detect.seam import Detection, Detectors, RegionDetector, merge_by_kind
from wardsafe.errors import InputError
from wardsafe.media.video import AudioEdit, VideoReader, VideoWriter, YuvFrame
from wardsafe.redact.appearance import AppearanceBook
from wardsafe.redact.camera_motion import CameraPath
from wardsafe.redact.cuts import CUT_KIND, cut_regions
from wardsafe.redact.follow import Follower
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.render import boxes_to_hide, hide_on_frame, regions_for, spare_kept
from wardsafe.redact.result import Recording, RedactionResult, Thumbnail
from wardsafe.redact.tracking import Box, Tracker

Progress = Callable[[int, int], None]  # (frames done, frames expected or 0)
Found = list[tuple[RegionDetector, list[Detection]]]  # one key frame's detections, per detector

# Key frames that may wait for detection before decoding pauses.
DETECTIONS_AHEAD = 4
# Frames that may wait for hiding and encoding (each on a thread of its own) before decoding pauses.
WRITES_AHEAD = 8


def redact_video(
    source: Path,
    target: Path | None,
    detectors: Detectors,
    options: RedactOptions,
    progress: Progress | None = None,
    want_thumbnails: bool = False,
    keep: frozenset[int] = frozenset(),
    replay: Recording | None = None,
    appearances: AppearanceBook | None = None,
    others: frozenset[int] | None = None,
    audio_edit: AudioEdit | None = None,
) -> RedactionResult:
    """Redacts ``source`` into ``target`` (or only plans the tracks when ``target`` is None).

    Tracks whose ids are in ``keep`` stay visible (``others``: the tracks of people not kept, see
    :func:`wardsafe.redact.render.boxes_to_hide`). With ``replay`` (the ``recording`` of an earlier
    run on the same video) the detectors do not run again: the tracker gets what it got then.
    ``appearances``, if given, collects how each face track looks and where the shots cut, for
    grouping tracks into people (:mod:`wardsafe.redact.people`).

    Raises InputError for a damaged input and RedactionError if a stage fails; the caller
    writes ``target`` through :func:`wardsafe.media.atomic.atomic_output` so that a failure
    leaves no file. ``audio_edit`` (spoken identifiers found beforehand) edits the sound track as it is
    re-encoded; without it the track is copied unchanged.
    """
    started = time.perf_counter()
    timings = {"detect_s": 0.0, "look_again_s": 0.0}
    tracker: Tracker | None = None
    thumbnails: dict[int, Thumbnail] = {}
    result = RedactionResult(kind="video", source=source)
    recording: Recording = {}
    # tells cuts between shots (and, when asked, collects how faces look)
    shots = appearances if appearances is not None else AppearanceBook()
    stride = options.stride
    # The camera's motion, frame by frame, for detectors whose finds stay put in the scene (see the seam).
    fixed_kinds = frozenset(d.kind for d in detectors if d.fixed_in_scene)
    camera = CameraPath() if fixed_kinds else None
    follower = Follower()  # finds lost heads by their last look (detectors with follows_appearance)
    # each kind once (two face detectors share "face"), with the score a look must come from
    followed_kinds = {d.kind: d.established_score for d in detectors if d.follows_appearance}
    with (
        VideoReader(source) as reader,
        ThreadPoolExecutor(max_workers=1) as detecting,
        ThreadPoolExecutor(max_workers=1) as hiding,
        ThreadPoolExecutor(max_workers=1) as encoding,
    ):
        writer: VideoWriter | None = None
        written: deque[Future[None]] = deque()  # frames handed to the encoding thread, in order
        frames: deque[YuvFrame] = deque()
        pending: deque[tuple[YuvFrame, Future[Found] | None]] = deque()
        expected = reader.declared_frames
        fps = float(reader.rate)

        def finish_detections(block_until: int) -> None:
            """Feeds finished detections to the tracker in frame order (waits for those <= block_until)."""
            assert tracker is not None
            while pending and (pending[0][1] is None or pending[0][1].done() or pending[0][0].index <= block_until):
                key, future = pending.popleft()
                if future is None:
                    assert replay is not None
                    cut, updates = replay.get(key.index, (False, []))
                    if cut:
                        tracker.cut()
                else:
                    found_by = future.result()
                    cut = shots.new_shot(key)
                    if cut:  # before looking again: a face is not sought where it was in another shot
                        tracker.cut()
                    updates = []
                    for kind, detections in merge_by_kind(found_by).items():
                        detector = detectors.of_kind(kind)
                        found: list[tuple[Box, float]] = [(d.box, d.score) for d in detections]
                        labels: list[str | None] = [d.label for d in detections]
                        missed = tracker.missed(key.index, found, min_score=detector.established_score, kind=kind)
                        if missed:
                            t0 = time.perf_counter()
                            again = detector.look_again(key, missed, [box for box, _ in found])
                            found += [(d.box, d.score) for d in again]
                            labels += [d.label for d in again]
                            timings["look_again_s"] += time.perf_counter() - t0
                        if detector.follows_appearance and missed:
                            still = tracker.missed_tracks(key.index, found, min_score=detector.established_score,
                                                          kind=kind)
                            followed = follower.follow(key, still, [box for box, _ in found])
                            found += followed
                            labels += [None] * len(followed)
                        updates.append((kind, found, labels))
                if key.index in recording:  # a key frame looked at again at the end (see below): one entry
                    earlier_cut, earlier = recording[key.index]
                    recording[key.index] = (earlier_cut or cut, earlier + updates)
                else:
                    recording[key.index] = (cut, updates)
                for kind, found, labels in updates:
                    tracker.update(key.index, found, kind, labels)
                if replay is None:
                    for kind, min_score in followed_kinds.items():
                        follower.remember(tracker.tracks, key, kind, min_score)
                    follower.forget(tracker.open_ids)
                if appearances is not None:
                    appearances.observe(tracker.tracks, key)
                if want_thumbnails:
                    _update_thumbnails(thumbnails, tracker, key)

        def emit(frame: YuvFrame) -> None:
            assert tracker is not None
            present = tracker.boxes_at(frame.index)
            boxes = boxes_to_hide(present, keep, tracker.track, detectors, others)
            blackout = cut_regions(options.cuts, frame.index / fps, frame.width, frame.height) if options.cuts else []
            for kind in {tracker.track(tid).kind for tid, _ in boxes} | ({CUT_KIND} if blackout else set()):
                result.frames_hidden[kind] = result.frames_hidden.get(kind, 0) + 1
            if writer is not None:
                hidden = None
                if boxes or blackout:
                    regions = regions_for(boxes, tracker.track, detectors, stride, frame.width, frame.height,
                                          frame.index)
                    restore, again = spare_kept([b for tid, b in present if tid in keep], boxes, frame.width,
                                                frame.height, tracker.track)
                    hidden = hiding.submit(hide_on_frame, frame, regions, options.filter, restore, again, blackout)
                written.append(encoding.submit(_write_when_hidden, writer, frame, hidden))
                # a failed write surfaces here, and decoding never runs more than WRITES_AHEAD frames ahead
                while len(written) > WRITES_AHEAD:
                    written.popleft().result()
            result.frames += 1
            if progress is not None:
                progress(result.frames, expected)

        lag = 0
        for frame in reader.frames():
            if frame.index == 0:
                result.width, result.height = frame.width, frame.height
                result.rotation = reader.rotation
                # A detector that looks at each spot only every n-th key frame (a slow one, or one that
                # searches part of the frame at a time) needs its tracks carried further back.
                slowest = max((d.period(frame.width, frame.height) for d in detectors), default=1)
                pad = options.pad_frames + (slowest - 1) * stride
                # Gaps in detection up to `max_gap_s` are bridged. A frame is final once every track
                # that could reach it is known (see Tracker.boxes_at), hence the lag.
                max_gap = max(slowest * stride, round(options.max_gap_s * float(reader.rate)))
                tracker = Tracker(pad=pad, max_gap=max_gap, camera=camera, fixed_kinds=fixed_kinds)
                result.pad_frames = pad
                lag = pad + max_gap + slowest * stride
                if target is not None:
                    writer = VideoWriter(target, reader, frame.width, frame.height, audio_edit)
            assert tracker is not None
            if camera is not None:
                camera.observe(frame)
            if frame.index % stride == 0:
                frame.key = key = frame.index // stride
                if replay is None:
                    running = [d for d in detectors if key % d.cadence == 0]
                    pending.append((frame, detecting.submit(_find_all, running, frame, timings)))
                else:
                    pending.append((frame, None))
            frames.append(frame)
            # Decoding may run a few key frames ahead of detection (smooths out slow detections),
            # but no further, so memory stays bounded.
            finish_detections(block_until=frame.index - DETECTIONS_AHEAD * stride)
            while frames and frames[0].index + lag <= tracker.last_frame:
                emit(frames.popleft())
        if tracker is None:
            raise InputError(f"{source.name}: video track holds no frames")
        _look_at_last_frame(frames, pending, detectors, stride, replay, detecting, timings)
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
    result.recording = recording
    result.thumbnails = thumbnails
    result.timings = {"total_s": time.perf_counter() - started, **timings}
    return result


def _look_at_last_frame(
    frames: deque[YuvFrame], pending: deque[tuple[YuvFrame, Future[Found] | None]], detectors: Detectors,
    stride: int, replay: Recording | None, detecting: ThreadPoolExecutor, timings: dict[str, float],
) -> None:
    """Runs each detector that looks only every few key frames (``cadence`` > 1) on the video's last frame too,
    unless it looked at it already.

    Something that came into view after such a detector's last look (text read every 15th frame, on a pan)
    would otherwise never be found; found on the last frame, its track is carried back over the frames
    before (``pad``). With ``replay``, what was found there then is replayed.
    """
    if not frames:
        return
    last = frames[-1]
    is_key = last.index % stride == 0
    if replay is not None:
        if not is_key and last.index in replay:
            pending.append((last, None))
        return
    key = last.index // stride
    lagging = [d for d in detectors if d.cadence > 1 and not (is_key and key % d.cadence == 0)]
    if lagging:
        if not is_key:
            last.key = key
        pending.append((last, detecting.submit(_find_all, lagging, last, timings)))


def _write_when_hidden(writer: VideoWriter, frame: YuvFrame, hidden: Future[None] | None) -> None:
    """Encodes ``frame`` once its faces are hidden (on the encoding thread, in frame order).

    A failure to hide is re-raised here, so the frame is never written with a face showing.
    """
    if hidden is not None:
        hidden.result()
    writer.write(frame)


def _find_all(running: list[RegionDetector], frame: YuvFrame, timings: dict[str, float]) -> Found:
    """Runs each detector due on this key frame (on the detection thread)."""
    found: Found = []
    for detector in running:
        t0 = time.perf_counter()
        found.append((detector, detector.find(frame)))
        timings["detect_s"] += time.perf_counter() - t0
    return found


def _update_thumbnails(thumbnails: dict[int, Thumbnail], tracker: Tracker, frame: YuvFrame) -> None:
    """Keeps each track's clearest detection so far as its thumbnail."""
    for track in tracker.tracks:
        if track.last_frame != frame.index:
            continue
        obs = track.observations[-1]
        best = thumbnails.get(track.id)
        if best is None or obs.score > best.score:
            thumbnails[track.id] = Thumbnail.of(frame, obs.box, obs.score)
