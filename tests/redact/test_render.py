"""Hiding around a kept face: a neighbour's blur does not cover it, unless the neighbour's face lies under it."""

from __future__ import annotations

import json

import numpy as np

from face_scoring import destroyed, gray
from media.bad_inputs import FIXTURES
from wardsafe.media.image import read_image
from wardsafe.redact.render import hide_shaped, spare_kept

TRUTH = json.loads((FIXTURES / "truth.json").read_text())["photo.png"]["boxes"]


def _box(x: int, y: int, w: int, h: int) -> tuple[float, float, float, float]:
    return (float(x), float(y), float(x + w), float(y + h))


def _crop(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in box)
    return gray(image)[y0:y1, x0:x1]


def test_a_neighbours_spilling_blur_does_not_cover_a_kept_face() -> None:
    rgb = read_image(FIXTURES / "photo.png")
    kept, other = _box(*TRUTH[0]), _box(*TRUTH[1])
    # the neighbour's hidden head, grown for motion, reaches right over the kept face
    spill = (int(kept[0]) - 10, int(other[1]) - 60, int(other[2]) + 10, int(other[3]) + 60)
    plain, spared = rgb.copy(), rgb.copy()
    hide_shaped(plain, [(spill, "rect")], "blur")
    restore, again = spare_kept([kept], [(2, other)], rgb.shape[1], rgb.shape[0])
    hide_shaped(spared, [(spill, "rect")], "blur", restore=restore, again=again)
    assert destroyed(_crop(rgb, kept), _crop(plain, kept)), "without sparing, the spill hides the kept face"
    assert not destroyed(_crop(rgb, kept), _crop(spared, kept)), "the kept face is given back"
    assert destroyed(_crop(rgb, other), _crop(spared, other)), "the neighbour stays hidden"


def test_where_a_neighbours_own_face_lies_on_a_kept_face_it_is_hidden_again() -> None:
    rgb = read_image(FIXTURES / "photo.png")
    kept = _box(*TRUTH[0])
    # a neighbour's face box overlapping the right half of the kept face
    x0, y0, x1, y1 = kept
    other = (x0 + (x1 - x0) * 0.45, y0, x1 + (x1 - x0) * 0.55, y1)
    spared = rgb.copy()
    restore, again = spare_kept([kept], [(2, other)], rgb.shape[1], rgb.shape[0])
    grown = (int(other[0]) - 20, int(other[1]) - 20, int(other[2]) + 20, int(other[3]) + 20)
    hide_shaped(spared, [(grown, "rect")], "blur", restore=restore, again=again)
    core = (other[0] + 0.1 * (other[2] - other[0]), y0 + 0.1 * (y1 - y0), x1, y1 - 0.1 * (y1 - y0))
    assert destroyed(_crop(rgb, core), _crop(spared, core)), "the neighbour's face over the kept one is hidden"
    left = (x0, y0, core[0] - 2, y1)
    assert not destroyed(_crop(rgb, left), _crop(spared, left)), "the rest of the kept face is left"


def test_a_small_kept_face_in_front_of_a_large_one_stays_visible() -> None:
    rgb = read_image(FIXTURES / "photo.png")
    kept = _box(*TRUTH[0])
    x0, y0, x1, y1 = kept
    large = (x0 - 60, y0 - 60, x1 + 60, y1 + 60)  # a close-up face behind it, five times its size
    restore, again = spare_kept([kept], [(2, large)], rgb.shape[1], rgb.shape[0])
    assert restore and not again


def test_text_naming_no_identifier_centred_on_a_kept_face_is_that_face() -> None:
    from wardsafe.detect.seam import ALL_LABEL, UNREADABLE_LABEL, Detectors
    from wardsafe.redact.render import boxes_to_hide
    from wardsafe.redact.tracking import Observation, Track

    face = Track(id=1, observations=[Observation(0, (100, 100, 140, 150), 0.9)], kind="face")
    texture = Track(id=2, observations=[Observation(0, (80, 90, 170, 160), 1.0, UNREADABLE_LABEL)], kind="text")
    name = Track(id=3, observations=[Observation(0, (90, 110, 150, 130), 1.0, "NAME")], kind="text")
    word = Track(id=5, observations=[Observation(0, (95, 95, 150, 155), 1.0, ALL_LABEL)], kind="text")
    elsewhere = Track(id=4, observations=[Observation(0, (400, 90, 490, 160), 1.0, UNREADABLE_LABEL)], kind="text")
    tracks = {t.id: t for t in (face, texture, name, elsewhere, word)}
    present = [(t.id, t.observations[0].box) for t in tracks.values()]
    hidden = boxes_to_hide(present, frozenset({1}), tracks.__getitem__, Detectors(regions=[]), frozenset())
    # The unreadable "line" and a plain "word" (--text all) read off the kept face are left; a name read
    # there, and unreadable text elsewhere, go.
    assert [tid for tid, _ in hidden] == [3, 4]


def test_text_naming_no_identifier_over_a_kept_face_is_not_hidden_again_there() -> None:
    from wardsafe.detect.seam import UNREADABLE_LABEL
    from wardsafe.redact.tracking import Observation, Track

    rgb = read_image(FIXTURES / "photo.png")
    kept = _box(*TRUTH[0])
    x0, y0, x1, y1 = kept
    # an unreadable "line" much larger than the face, not centred on it (so it is hidden), and a name
    big = (x0 - 10, y0 - 10, x1 + 3 * (x1 - x0), y1 + 10)
    texture = Track(id=2, observations=[Observation(0, big, 1.0, UNREADABLE_LABEL)], kind="text")
    name = Track(id=3, observations=[Observation(0, (x0, y0, x1, (y0 + y1) / 2), 1.0, "NAME")], kind="text")
    tracks = {2: texture, 3: name}
    restore, again = spare_kept([kept], [(2, big)], rgb.shape[1], rgb.shape[0], tracks.__getitem__)
    spared = rgb.copy()
    region = (int(big[0]), int(big[1]), int(big[2]), int(big[3]))
    hide_shaped(spared, [(region, "text")], "blur", restore=restore, again=again)
    assert not destroyed(_crop(rgb, kept), _crop(spared, kept)), "the kept face is given back"
    beside = (x1 + 5, y0, big[2] - 5, y1)
    assert destroyed(_crop(rgb, beside), _crop(spared, beside)), "the text beside it stays hidden"
    _, again = spare_kept([kept], [(3, name.observations[0].box)], rgb.shape[1], rgb.shape[0],
                          tracks.__getitem__)
    assert again, "a name read over the kept face is hidden again"
