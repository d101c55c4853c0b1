"""The plan's contact sheet shows each person once, with the number to pass to --keep."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
from PIL import Image

from wardsafe.redact.contact_sheet import COLUMNS, LABEL_H, write_contact_sheet
from wardsafe.redact.people import group_people
from wardsafe.redact.result import THUMB_SIDE, RedactionResult, Thumbnail
from wardsafe.redact.tracking import Observation, Track

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CELL_W, CELL_H = THUMB_SIDE + 16, THUMB_SIDE + LABEL_H + 8


def clip_result() -> RedactionResult:
    """A plan of the committed clip's three faces, one of them found as two tracks (lost for a while)."""
    truth = json.loads((FIXTURES / "truth.json").read_text())["clip.mp4"]["boxes"]
    with av.open(str(FIXTURES / "clip.mp4")) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]

    def track(track_id: int, face: int, first: int, last: int) -> Track:
        obs = []
        for frame in range(first, last + 1, 5):
            x, y, w, h = truth[frame][face]
            obs.append(Observation(frame, (x, y, x + w, y + h), 0.8 + frame / 1000))
        return Track(track_id, obs)

    tracks = [track(1, 0, 0, 20), track(2, 1, 0, 55), track(3, 2, 0, 55), track(4, 0, 40, 55)]
    thumbs = {t.id: Thumbnail.crop(frames[t.best.frame], t.best.box, t.best.score, t.best.frame) for t in tracks}
    return RedactionResult(kind="video", source=FIXTURES / "clip.mp4", width=480, height=270, fps=30.0,
                           frames=60, tracks=tracks, thumbnails=thumbs)


def cells(sheet: Image.Image) -> list[np.ndarray]:
    """The thumbnail squares of a sheet, left to right, top to bottom."""
    pixels = np.asarray(sheet)
    rows, cols = sheet.height // CELL_H, sheet.width // CELL_W
    return [pixels[r * CELL_H + 4 : r * CELL_H + 4 + THUMB_SIDE, c * CELL_W + 8 : c * CELL_W + 8 + THUMB_SIDE]
            for r in range(rows) for c in range(cols)]


def test_one_thumbnail_per_person_not_per_track(tmp_path: Path) -> None:
    result = clip_result()
    people = group_people(result.tracks, None, result.fps)
    assert len(people) == 3 and len(result.tracks) == 4
    path = tmp_path / "plan.png"
    write_contact_sheet(result, path, people)
    sheet = Image.open(path)
    assert sheet.size == (3 * CELL_W, CELL_H)
    # each cell shows its person's best thumbnail, pixel for pixel
    for person, cell in zip(people, cells(sheet.convert("RGB")), strict=True):
        thumb = result.thumbnails[person.best[0]].image
        th, tw = thumb.shape[:2]
        top, left = (THUMB_SIDE - th) // 2, (THUMB_SIDE - tw) // 2
        assert np.array_equal(cell[top : top + th, left : left + tw], thumb)


def test_the_person_who_was_lost_for_a_while_shows_the_clearest_of_their_tracks() -> None:
    result = clip_result()
    people = group_people(result.tracks, None, result.fps)
    (lost,) = [p for p in people if p.track_ids == [1, 4]]
    assert lost.best[0] == 4  # track 4 scored higher (later frames score a little more here)
    assert (lost.first_frame, lost.last_frame) == (0, 55)


def test_people_default_to_the_result_tracks_grouped_on_motion(tmp_path: Path) -> None:
    result = clip_result()
    write_contact_sheet(result, tmp_path / "plan.png")
    assert Image.open(tmp_path / "plan.png").size == (3 * CELL_W, CELL_H)


def test_many_people_wrap_into_rows_and_none_says_so(tmp_path: Path) -> None:
    result = clip_result()
    tracks = [Track(n + 1, [Observation(0, (10.0 * n, 0.0, 10.0 * n + 8, 8.0), 0.9)]) for n in range(COLUMNS + 1)]
    photo = RedactionResult(kind="photo", source=Path("x.jpg"), frames=1, tracks=tracks, thumbnails={})
    write_contact_sheet(photo, tmp_path / "many.png", group_people(tracks, None, None))
    assert Image.open(tmp_path / "many.png").size == (COLUMNS * CELL_W, 2 * CELL_H)
    write_contact_sheet(result, tmp_path / "none.png", [])
    empty = np.asarray(Image.open(tmp_path / "none.png").convert("L"))
    assert empty.shape == (CELL_H, CELL_W) and empty.min() < 128  # the words "no people found"
