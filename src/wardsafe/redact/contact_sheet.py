"""The plan's contact sheet: one thumbnail per person with their number, so a user can pick whom to keep."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from wardsafe.redact.people import Person, group_people
from wardsafe.redact.result import THUMB_SIDE, RedactionResult

COLUMNS = 6
LABEL_H = 34


def write_contact_sheet(result: RedactionResult, path: Path, people: list[Person] | None = None) -> None:
    """Writes a PNG grid of each person's clearest face, labelled "person N" and the frames they are seen on.

    ``people`` are those the plan offers (see :func:`wardsafe.redact.people.group_people`); by default
    they are grouped from ``result.tracks`` on motion alone. Thumbnails come from
    ``result.thumbnails``, keyed by track id: each person shows the one of their best track.
    """
    if people is None:
        people = group_people(result.tracks, None, result.fps if result.kind == "video" else None)
    rows = max(1, -(-len(people) // COLUMNS))
    cols = min(COLUMNS, max(1, len(people)))
    cell_w, cell_h = THUMB_SIDE + 16, THUMB_SIDE + LABEL_H + 8
    sheet = Image.new("RGB", (cols * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    if not people:
        draw.text((8, 8), "no people found", fill="black", font=font)
    for n, person in enumerate(people):
        x, y = (n % COLUMNS) * cell_w + 8, (n // COLUMNS) * cell_h + 4
        thumb = result.thumbnails.get(person.best[0])
        if thumb is not None:
            # centred in its square: a thumbnail keeps its face's proportions
            th, tw = thumb.image.shape[:2]
            sheet.paste(Image.fromarray(thumb.image), (x + (THUMB_SIDE - tw) // 2, y + (THUMB_SIDE - th) // 2))
        span = "photo" if result.kind == "photo" else f"frames {person.first_frame}-{person.last_frame}"
        draw.text((x, y + THUMB_SIDE + 2), f"person {person.id}", fill="black", font=font)
        draw.text((x, y + THUMB_SIDE + 17), span, fill="#444444", font=font)
    sheet.save(path, format="PNG")
