"""What the review shows of a finished job, read from its report: the people found (with the times they are
seen) and what was hidden, by kind and time. Pure functions of the report (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MERGE_GAP_S = 0.5  # stretches of one kind closer than this are shown as one


@dataclass(frozen=True)
class PersonSeen:
    """A person the job found: their id (as ``keep`` takes it) and when they are seen."""

    id: int
    first_s: float
    last_s: float


@dataclass(frozen=True)
class HiddenStretch:
    """Something of one kind hidden from ``start_s`` to ``end_s`` (a photo: 0 to 0)."""

    kind: str
    start_s: float
    end_s: float


def people_seen(report: dict[str, Any]) -> list[PersonSeen]:
    """The people of the report, in id order."""
    fps = report["input"].get("fps") or 0.0
    return [PersonSeen(int(p["id"]), _seconds(p["first_frame"], fps), _seconds(p["last_frame"], fps))
            for p in sorted(report.get("people", []), key=lambda p: int(p["id"]))]


def hidden_stretches(report: dict[str, Any]) -> list[HiddenStretch]:
    """What was hidden, by kind and time: tracks' hidden frames, spoken spans and cuts, merged per kind."""
    fps = report["input"].get("fps") or 0.0
    found: list[HiddenStretch] = []
    for track in report.get("tracks", []):
        if track.get("hidden"):
            first, last = track.get("hidden_frames") or (track["first_frame"], track["last_frame"])
            found.append(HiddenStretch(str(track["kind"]), _seconds(first, fps), _seconds(last + 1, fps)))
    for span in (report.get("audio") or {}).get("spans_hidden", []):
        found.append(HiddenStretch(f"speech:{span['kind']}", float(span["start_s"]), float(span["end_s"])))
    for cut in report.get("options", {}).get("cuts", []):
        found.append(HiddenStretch("cut", float(cut["start_s"]), float(cut["end_s"])))
    merged: list[HiddenStretch] = []
    for item in sorted(found, key=lambda h: (h.kind, h.start_s)):
        if merged and merged[-1].kind == item.kind and item.start_s - merged[-1].end_s <= MERGE_GAP_S:
            last = merged.pop()
            item = HiddenStretch(item.kind, last.start_s, max(last.end_s, item.end_s))
        merged.append(item)
    return sorted(merged, key=lambda h: (h.start_s, h.kind))


def _seconds(frame: int, fps: float) -> float:
    return round(frame / fps, 2) if fps else 0.0
