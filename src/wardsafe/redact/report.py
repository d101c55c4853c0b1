"""The JSON report written beside each output: what was found, what was hidden, how, and how long it took.

It holds coordinates and counts, never pixels, and file names without their folders.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from wardsafe import __version__
from wardsafe.detect.seam import Detectors
from wardsafe.media.probe import MediaInfo
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.people import people_report
from wardsafe.redact.result import RedactionResult

# 2: tracks have a kind, the summary counts by kind, "models" lists every detector's model, "people"
# groups tracks and --keep takes person ids
REPORT_VERSION = 2


def build_report(
    info: MediaInfo,
    result: RedactionResult,
    options: RedactOptions,
    detectors: Detectors,
    output: Path | None,
    removed_metadata: list[str],
) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    fps = result.fps or 0.0
    pad = result.pad_frames
    tracks: list[dict[str, Any]] = []
    for track in result.tracks:
        hidden = track.id not in result.kept_tracks
        start, end = track.span(pad)
        tracks.append({
            "id": track.id,
            "kind": track.kind,
            "hidden": hidden,
            "first_frame": track.first_frame,
            "last_frame": track.last_frame,
            # Frames it is hidden on: a few before its first and after its last detection.
            "hidden_frames": [max(0, start), min(result.frames - 1, end)] if hidden else None,
            "first_time_s": round(track.first_frame / fps, 3) if fps else None,
            "last_time_s": round(track.last_frame / fps, 3) if fps else None,
            "detections": len(track.observations),
            "best_score": round(track.best.score, 3),
            # Boxes where it was detected, as [frame, x0, y0, x1, y1] in output pixels.
            "boxes": [[o.frame, *(round(v, 1) for v in o.box)] for o in track.observations],
        })
        if track.labels:
            # What it was (a text track: NAME, DATE_OF_BIRTH, NHS_NUMBER ...), never what it said.
            tracks[-1]["identifier_types"] = track.labels
    kept = sorted(result.kept_tracks)
    by_kind: dict[str, dict[str, Any]] = {}
    for entry in tracks:
        counts = by_kind.setdefault(entry["kind"], {"tracked": 0, "hidden": 0, "kept": 0, "frames_hidden": 0})
        counts["tracked"] += 1
        counts["hidden" if entry["hidden"] else "kept"] += 1
        if entry["hidden"] and "identifier_types" in entry:
            # per kind: how many hidden tracks were each identifier type
            types = counts.setdefault("identifier_types", {})
            for label in entry["identifier_types"]:
                types[label] = types.get(label, 0) + 1
    for kind, frames in result.frames_hidden.items():
        by_kind.setdefault(kind, {"tracked": 0, "hidden": 0, "kept": 0, "frames_hidden": 0})["frames_hidden"] = frames
    faces = by_kind.get("face", {})
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
            "threshold": options.threshold,
            "keep": sorted(options.keep),
            # parts cut on request: blacked out (and silenced unless only a region was cut)
            "cuts": [{"start_s": c.start_s, "end_s": c.end_s, "region": list(c.region) if c.region else None}
                     for c in options.cuts],
            "detection_stride": options.stride if result.kind == "video" else None,
            "detection_long_side": options.detect_long_side if result.kind == "video" else None,
        },
        # the speech model only where there was sound to hear
        "models": [m for m in detectors.describe() if m["kind"] != "speech" or result.has_audio],
        "summary": {
            "faces_tracked": faces.get("tracked", 0),
            "faces_hidden": faces.get("hidden", 0),
            "faces_kept": len(kept),
            "kept_track_ids": kept,
            "people": len(result.people),
            "kept_people": sorted(options.keep),
            "frames_with_hidden_faces": faces.get("frames_hidden", 0),
            # every kind the detectors found: tracks found, hidden and kept, and frames with something hidden
            "by_kind": by_kind,
        },
        # Each person: their track ids, frame range and face boxes on key frames (see --plan, --keep).
        "people": people_report(result.people),
        "tracks": tracks,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """Writes the report as indented JSON."""
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
