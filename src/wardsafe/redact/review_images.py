"""Pictures for reviewing a job on a phone: one thumbnail per person (from the plan) and a few preview frames
of the redacted copy with every hidden region outlined. They are intermediates: the thumbnails show faces
before hiding and are deleted with the original."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw

from wardsafe.media.atomic import atomic_output
from wardsafe.media.image import read_image
from wardsafe.redact.result import RedactionResult

PREVIEWS = 4
PREVIEW_LONG_SIDE = 640
OUTLINE = {"face": "#ffbf00", "text": "#00d0ff", "cut": "#ff3b30"}  # by kind; others in white


def thumbnail_path(prefix: Path, person_id: int) -> Path:
    """Where person ``person_id``'s thumbnail of a job whose plan files start with ``prefix`` goes."""
    return prefix.with_name(f"{prefix.name}.plan.person-{person_id}.jpg")


def preview_path(prefix: Path, n: int) -> Path:
    """Where the ``n``-th preview frame goes."""
    return prefix.with_name(f"{prefix.name}.plan.preview-{n}.jpg")


def write_thumbnails(result: RedactionResult, prefix: Path) -> dict[int, Path]:
    """Writes each person's clearest face (``result.people`` and ``result.thumbnails`` of a plan run)."""
    written: dict[int, Path] = {}
    for person in result.people:
        thumb = result.thumbnails.get(person.best[0])
        if thumb is None:
            continue
        path = thumbnail_path(prefix, person.id)
        with atomic_output(path) as tmp:
            Image.fromarray(thumb.image).save(tmp, format="JPEG", quality=85)
        written[person.id] = path
    return written


def write_previews(output: Path, report: dict[str, Any], prefix: Path, count: int = PREVIEWS) -> list[Path]:
    """Writes up to ``count`` evenly spaced frames of the redacted ``output`` (a photo: itself) with each
    region the report says was hidden outlined in its kind's colour. Returns the files written."""
    if report["input"]["kind"] == "photo":
        pictures = [(0, read_image(output))]
    else:
        total = int(report["input"]["frames"] or 0)
        wanted = sorted({round(total * (n + 0.5) / count) for n in range(count)}) if total else []
        pictures = _frames_at(output, wanted)
    written = []
    for n, (index, rgb) in enumerate(pictures):
        image = Image.fromarray(rgb)
        draw = ImageDraw.Draw(image)
        for kind, box in _hidden_boxes(report, index):
            draw.rectangle(box, outline=OUTLINE.get(kind, "white"), width=max(2, image.width // 320))
        image.thumbnail((PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE))
        path = preview_path(prefix, n)
        with atomic_output(path) as tmp:
            image.save(tmp, format="JPEG", quality=80)
        written.append(path)
    return written


def _frames_at(video: Path, wanted: list[int]) -> list[tuple[int, np.ndarray]]:
    found: list[tuple[int, np.ndarray]] = []
    remaining = list(wanted)
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if not remaining:
                break
            if index == remaining[0]:
                found.append((index, frame.to_ndarray(format="rgb24")))
                remaining.pop(0)
    return found


def _hidden_boxes(report: dict[str, Any], index: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(kind, box) of each hidden track on frame ``index``: its detection nearest in time."""
    boxes = []
    for track in report.get("tracks", []):
        span = track.get("hidden_frames")
        if not track.get("hidden") or not track.get("boxes"):
            continue
        if span is not None and not span[0] <= index <= span[1]:
            continue
        nearest = min(track["boxes"], key=lambda b: abs(b[0] - index))
        boxes.append((str(track["kind"]), (nearest[1], nearest[2], nearest[3], nearest[4])))
    width, height = report["input"]["width"], report["input"]["height"]
    fps = report["input"]["fps"] or 0
    for cut in report["options"].get("cuts", []):
        if report["input"]["kind"] == "photo" or (fps and cut["start_s"] <= index / fps < cut["end_s"]):
            x0, y0, x1, y1 = cut["region"] or (0.0, 0.0, 1.0, 1.0)
            boxes.append(("cut", (x0 * width, y0 * height, x1 * width - 1, y1 * height - 1)))
    return boxes
