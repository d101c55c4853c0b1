"""Synthetic hospital scenes with written identifiers, and the truth about every word on them.

Each scene is a background with cards pasted on it: an EPR monitor, a staff badge, a wristband, a whiteboard,
a printed letter and an EXIT sign. A card is drawn upright with DejaVu fonts, then warped into the scene by a
homography (rotation, perspective, scale), so each word's box in the scene is its card box's corners taken
through the same homography. Options add blur, low light and noise; ``size`` gives 720p or 12 MP.

Used by ``bench/text.py`` (larger random sets) and by ``tests/text`` (a few small fixed scenes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
SANS, BOLD, MONO = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"

# A word is gone from the scene when a card pasted later covers this share of its box.
OCCLUDED = 0.5
# (text, is_identifier) per word, line by line; a card is a list of such lines.
Line = list[tuple[str, bool]]


def _w(text: str, ident: bool = False) -> Line:
    return [(word, ident) for word in text.split()]


CARDS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], str, list[Line]]] = {
    # name: (background, ink, font, lines)
    "monitor": ((18, 32, 70), (235, 240, 250), SANS, [
        _w("Patient:") + _w("Tom BAKER", True),
        _w("DOB") + _w("23/06/1945", True) + _w("NHS No") + _w("943 476 5919", True),
        _w("Ward 7 Bay 3 Obs due 14:00"),
    ]),
    "badge": ((250, 250, 250), (20, 30, 90), BOLD, [
        _w("Sarah Jones", True),
        _w("Therapeutic Radiographer"),
    ]),
    "wristband": ((245, 245, 235), (10, 10, 10), MONO, [
        _w("SMITH,", True) + _w("John", True),
        _w("DOB:") + _w("02/03/1950", True),
    ]),
    "whiteboard": ((248, 248, 248), (30, 60, 160), SANS, [
        _w("Bay 1") + _w("PATEL", True),
        _w("Bay 2") + _w("OKAFOR", True),
        _w("Nurse in charge:") + _w("Amy Clarke", True),
    ]),
    "letter": ((252, 252, 248), (25, 25, 25), SANS, [
        _w("Dear") + _w("Mr", False) + _w("Ahmed", True),
        _w("Tel") + _w("0113 496 0000", True),
        _w("Postcode") + _w("LS1 4AB", True),
        _w("Your clinic appointment is confirmed"),
    ]),
    "exit": ((0, 130, 60), (255, 255, 255), BOLD, [_w("EXIT")]),
}


@dataclass(frozen=True)
class Word:
    """A word in a scene: its text, its upright bounding box, whether it is an identifier, its height, its
    card, the card's rotation (degrees) and the word's own corners in the scene (top-left, top-right,
    bottom-right, bottom-left of its text)."""

    text: str
    box: tuple[int, int, int, int]
    identifier: bool
    height_px: float
    card: str
    angle: float = 0.0
    quad: tuple[tuple[float, float], ...] = ()


@dataclass
class Scene:
    """A picture and the truth about its words."""

    rgb: np.ndarray
    words: list[Word] = field(default_factory=list)


def draw_card(name: str, font_px: int) -> tuple[np.ndarray, list[tuple[str, bool, tuple[int, int, int, int]]]]:
    """A card as RGBA and its words with boxes in card pixels."""
    bg, ink, font_name, lines = CARDS[name]
    font = ImageFont.truetype(FONT_DIR + font_name, font_px)
    space = font.getlength(" ")
    pad = font_px
    widths = [sum(font.getlength(t) for t, _ in line) + space * (len(line) - 1) for line in lines]
    w = int(max(widths) + 2 * pad)
    h = int(len(lines) * font_px * 1.5 + 2 * pad - font_px * 0.5)
    card = Image.new("RGBA", (w, h), (*bg, 255))
    draw = ImageDraw.Draw(card)
    words = []
    for n, line in enumerate(lines):
        x, y = float(pad), pad + n * font_px * 1.5
        for text, ident in line:
            draw.text((x, y), text, font=font, fill=(*ink, 255))
            x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
            words.append((text, ident, (x0, y0, x1, y1)))
            x += font.getlength(text) + space
    return np.asarray(card), words


def _homography(w: int, h: int, cx: float, cy: float, scale: float, angle: float, tilt: float) -> np.ndarray:
    """Card -> scene: scale, rotate by ``angle`` degrees about its centre, lean back by ``tilt`` (0..0.3)."""
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    k = tilt * w / 2
    dst = np.float32([[k, 0], [w - k, 0], [w, h], [0, h]]) - np.float32([w / 2, h / 2])
    a = np.deg2rad(angle)
    rot = np.float32([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    dst = (dst * scale) @ rot.T + np.float32([cx, cy])
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def paste(scene: Scene, name: str, font_px: int, cx: float, cy: float, angle: float = 0.0,
          tilt: float = 0.0, scale: float = 1.0) -> None:
    """Draws card ``name`` onto ``scene`` centred at (cx, cy) and records its words."""
    card, words = draw_card(name, font_px)
    hh, ww = card.shape[:2]
    hom = _homography(ww, hh, cx, cy, scale, angle, tilt)
    H, W = scene.rgb.shape[:2]
    warped = cv2.warpPerspective(card, hom, (W, H), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    alpha = warped[:, :, 3:4].astype(np.float32) / 255
    scene.rgb[:] = (warped[:, :, :3] * alpha + scene.rgb * (1 - alpha)).astype(np.uint8)
    # Words of earlier cards that this card covers (half or more of their box) are no longer in the scene.
    scene.words[:] = [w for w in scene.words
                      if alpha[w.box[1]:w.box[3], w.box[0]:w.box[2]].mean() < OCCLUDED]
    for text, ident, (x0, y0, x1, y1) in words:
        pts = cv2.perspectiveTransform(np.float32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]]), hom)[0]
        bx = (int(pts[:, 0].min()), int(pts[:, 1].min()), int(np.ceil(pts[:, 0].max())), int(np.ceil(pts[:, 1].max())))
        if bx[0] >= 0 and bx[1] >= 0 and bx[2] <= W and bx[3] <= H:
            corners = tuple((float(x), float(y)) for x, y in pts)
            scene.words.append(Word(text, bx, ident, (y1 - y0) * scale, name, angle, corners))


def background(width: int, height: int, rng: random.Random) -> np.ndarray:
    """A ward-ish wall: a soft gradient with some noise."""
    base = np.array([rng.randint(150, 210), rng.randint(160, 210), rng.randint(150, 200)], dtype=np.float32)
    ramp = np.linspace(0.85, 1.1, height, dtype=np.float32)[:, None, None]
    img = np.clip(base[None, None, :] * ramp + np.zeros((height, width, 3), np.float32), 0, 255)
    return img.astype(np.uint8)


def degrade(rgb: np.ndarray, blur: float = 0.0, light: float = 1.0, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Camera faults: Gaussian blur (sigma px), low light (gain < 1) and sensor noise (std in grey levels)."""
    out = rgb.astype(np.float32)
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    out *= light
    if noise > 0:
        out += np.random.default_rng(seed).normal(0, noise, out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def make_scene(seed: int, width: int = 1280, height: int = 720, cards: tuple[str, ...] = tuple(CARDS),
               small: bool = False) -> Scene:
    """A random scene with ``cards`` in a grid, at random angles (up to 30 degrees), tilts and sizes.

    Font sizes scale with the frame; ``small`` draws 12-15 px text (relative to 720p).
    """
    rng = random.Random(seed)
    scene = Scene(background(width, height, rng))
    unit = height / 720
    cols = 3
    rows = (len(cards) + cols - 1) // cols
    for n, name in enumerate(cards):
        col, row = n % cols, n // cols
        cx = (col + 0.5) * width / cols + rng.uniform(-0.05, 0.05) * width
        cy = (row + 0.5) * height / rows + rng.uniform(-0.05, 0.05) * height
        font_px = int((rng.randint(12, 15) if small else rng.randint(16, 26)) * unit)
        angle = rng.choice([0.0, rng.uniform(-30, 30)])
        paste(scene, name, font_px, cx, cy, angle=angle, tilt=rng.uniform(0, 0.25))
    return scene


def pan_frames(scene: Scene, out_w: int, out_h: int, frames: int,
               reverse: bool = False) -> list[tuple[np.ndarray, list[Word]]]:
    """A camera panning left to right (``reverse``: right to left) across ``scene``: each frame and the words
    fully inside it (shifted)."""
    W = scene.rgb.shape[1]
    out = []
    for f in range(frames):
        x = round((W - out_w) * (frames - 1 - f if reverse else f) / max(1, frames - 1))
        frame = np.ascontiguousarray(scene.rgb[:out_h, x : x + out_w])
        words = [Word(w.text, (w.box[0] - x, w.box[1], w.box[2] - x, w.box[3]), w.identifier, w.height_px, w.card,
                      w.angle, tuple((px - x, py) for px, py in w.quad))
                 for w in scene.words if w.box[0] >= x and w.box[2] <= x + out_w and w.box[3] <= out_h]
        out.append((frame, words))
    return out


def write_pan_clip(path: str, scene: Scene, out_w: int, out_h: int, frames: int, fps: int = 25,
                   reverse: bool = False) -> list[list[Word]]:
    """Writes a panning H.264 clip across ``scene`` (near-lossless, so truth boxes stay sharp); words per frame."""
    import av

    shots = pan_frames(scene, out_w, out_h, frames, reverse)
    with av.open(path, "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = out_w, out_h, "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast"}
        for rgb, _ in shots:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return [words for _, words in shots]
