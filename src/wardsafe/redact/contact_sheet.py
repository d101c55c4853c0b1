"""The plan's contact sheet: one thumbnail per track with its id, so a user can pick faces to keep."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from wardsafe.redact.result import THUMB_SIDE, RedactionResult

COLUMNS = 6
LABEL_H = 34


def write_contact_sheet(result: RedactionResult, path: Path) -> None:
    """Writes a PNG grid of each track's clearest face labelled with its id and frame range."""
    tracks = result.tracks
    rows = max(1, -(-len(tracks) // COLUMNS))
    cols = min(COLUMNS, max(1, len(tracks)))
    cell_w, cell_h = THUMB_SIDE + 16, THUMB_SIDE + LABEL_H + 8
    sheet = Image.new("RGB", (cols * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    if not tracks:
        draw.text((8, 8), "no faces found", fill="black", font=font)
    for n, track in enumerate(tracks):
        x, y = (n % COLUMNS) * cell_w + 8, (n // COLUMNS) * cell_h + 4
        thumb = result.thumbnails.get(track.id)
        if thumb is not None:
            sheet.paste(Image.fromarray(thumb.image), (x, y))
        label = f"track {track.id}"
        span = "photo" if result.kind == "photo" else f"frames {track.first_frame}-{track.last_frame}"
        draw.text((x, y + THUMB_SIDE + 2), label, fill="black", font=font)
        draw.text((x, y + THUMB_SIDE + 17), span, fill="#444444", font=font)
    sheet.save(path, format="PNG")
