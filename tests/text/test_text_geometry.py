"""Word boxes hug rotated words, a label read glued to its value is split off, and big text loses its letters."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bench_scenes import scenes
from wardsafe.detect.ocr_engine import get_engine
from wardsafe.detect.seam import RgbFrame
from wardsafe.detect.text_regions import cover
from wardsafe.redact.filters import hide_regions


def rotated_quad(cx: float, cy: float, length: float, height: float, degrees: float) -> np.ndarray:
    a = np.deg2rad(degrees)
    u, n = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
    c = np.array([cx, cy])
    return np.array([c - u * length / 2 - n * height / 2, c + u * length / 2 - n * height / 2,
                     c + u * length / 2 + n * height / 2, c - u * length / 2 + n * height / 2], dtype=np.float32)


def test_rotated_word_is_covered_by_pieces_that_hug_it() -> None:
    quad = rotated_quad(300, 200, 200, 24, 30)
    pieces = cover(quad, 640, 480)
    assert len(pieces) > 1
    # every point of the word lies in a piece ...
    for s in np.linspace(0.01, 0.99, 25):
        for t in np.linspace(0.01, 0.99, 5):
            p = quad[0] + (quad[1] - quad[0]) * s + (quad[3] - quad[0]) * t
            assert any(x0 <= p[0] <= x1 and y0 <= p[1] <= y1 for x0, y0, x1, y1 in pieces)
    # ... and the pieces cover far less than the word's upright box (its neighbours' letters stay)
    mask = np.zeros((480, 640), bool)
    for x0, y0, x1, y1 in pieces:
        mask[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))] = True
    (bx0, by0), (bx1, by1) = quad.min(axis=0), quad.max(axis=0)
    assert mask.sum() < 0.5 * (bx1 - bx0) * (by1 - by0)
    # level text: one box
    assert len(cover(rotated_quad(300, 200, 200, 24, 0), 640, 480)) == 1


def text_image(text: str, px: int, width: int, height: int) -> np.ndarray:
    img = Image.new("RGB", (width, height), (250, 250, 245))
    font = ImageFont.truetype(scenes.FONT_DIR + scenes.MONO, px)
    ImageDraw.Draw(img).text((px, (height - px) // 2), text, font=font, fill=(10, 10, 10))
    return np.asarray(img).copy()


def test_label_glued_to_its_value_is_a_word_of_its_own() -> None:
    rgb = text_image("DOB:02/03/1950", 28, 420, 70)
    lines = [line for line in get_engine().detect(rgb)]
    words = [w.text for quad, score in lines for w in get_engine().read(rgb, quad, score).words]
    assert words[-1] == "02/03/1950" and len(words) >= 2, words


def test_big_text_hidden_as_text_is_unreadable() -> None:
    # a 12 MP-sized word: 90 px letters, hidden with the text shape
    rgb = text_image("OKAFOR", 90, 560, 160)
    engine = get_engine()
    quads = engine.detect(rgb)
    assert any("OKAFOR" in "".join(w.text for w in engine.read(rgb, q, s).words) for q, s in quads)
    frame = RgbFrame(rgb)
    for q, _ in quads:
        (x0, y0), (x1, y1) = q.min(axis=0), q.max(axis=0)
        hide_regions(frame.rgb, [(int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1)))], "blur", "text")
    read = "".join(w.text for q, s in engine.detect(frame.rgb) for w in engine.read(frame.rgb, q, s).words)
    assert "OKAF" not in read.upper() and "KAFOR" not in read.upper(), read
