"""The JSON report written beside each output: what was found, what was hidden, how, and how long it took.

It holds coordinates and counts, never pixels, and file names without their folders.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from wardsafe import __version__
from wardsafe.detect.faces import FaceDetector
from wardsafe.media.probe import MediaInfo
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.result import RedactionResult

REPORT_VERSION = 1


def build_report(
    info: MediaInfo,
    result: RedactionResult,
    options: RedactOptions,
    detector: FaceDetector,
    output: Path | None,
    removed_metadata: list[str],
) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    fps = result.fps or 0.0
    pad = options.pad_frames if result.kind == "video" else 0
    tracks = []
    for track in result.tracks:
        hidden = track.id not in options.keep
        start, end = track.span(pad)
        tracks.append({
            "id": track.id,
            "hidden": hidden,
            "first_frame": track.first_frame,
            "last_frame": track.last_frame,
            # Frames the face is hidden on: a few before its first and after its last detection.
            "hidden_frames": [max(0, start), min(result.frames - 1, end)] if hidden else None,
            "first_time_s": round(track.first_frame / fps, 3) if fps else None,
            "last_time_s": round(track.last_frame / fps, 3) if fps else None,
            "detections": len(track.observations),
            "best_score": round(track.best.score, 3),
            # Boxes where the face was detected, as [frame, x0, y0, x1, y1] in output pixels.
            "boxes": [[o.frame, *(round(v, 1) for v in o.box)] for o in track.observations],
        })
    kept = sorted(options.keep & {t.id for t in result.tracks})
    return {
        "report_version": REPORT_VERSION,
        "wardsafe_version": __version__,
        "status": "planned" if output is None else "redacted",
        "input": {
            "name": info.path.name,
            "kind": result.kind,
            "container": info.container,
            "width": result.width,
            "height": result.height,
            "rotation_applied": result.rotation,
            "frames": result.frames,
            "fps": round(fps, 3) if fps else None,
            "duration_s": info.duration_s,
            "video_codec": info.video_codec,
            "audio_codec": info.audio_codec,
        },
        "output": None if output is None else {
            "name": output.name,
            "audio_kept": result.has_audio,
            "metadata_removed": removed_metadata,
        },
        "options": {
            "filter": options.filter,
            "threshold": result.threshold,
            "keep": sorted(options.keep),
            "detection_stride": options.stride if result.kind == "video" else None,
            "detection_long_side": options.detect_long_side if result.kind == "video" else None,
        },
        "model": {"name": detector.model_name, "sha256": detector.model_sha256, "key_frames": result.keyframe_model},
        "summary": {
            "faces_tracked": len(result.tracks),
            "faces_hidden": sum(1 for t in tracks if t["hidden"]),
            "faces_kept": len(kept),
            "kept_track_ids": kept,
            "frames_with_hidden_faces": result.frames_with_hidden_faces,
        },
        "tracks": tracks,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """Writes the report as indented JSON."""
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
