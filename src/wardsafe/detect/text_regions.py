"""The text detector behind the seam: finds written identifiers (or every word) and hides their word boxes.

Lines are found and read by :mod:`wardsafe.detect.ocr_engine`; the words are classified by
:mod:`wardsafe.identifiers` (the same recognisers as the speech stage). What is hidden depends on the
``text`` option: ``identifiers`` hides identifier words and every part of a ``--hide-name``; ``all`` hides
every word; ``--keep-name`` words stay readable in both. Uncertain means hide: a line read with low
confidence that carries an identifier label (DOB, NHS, Patient: ...) is hidden after the label, and a line
that cannot be read at all is hidden whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import cv2
import numpy as np

from wardsafe.detect.ocr_engine import MODEL_NAME, OcrEngine, OcrLine, Quad
from wardsafe.detect.seam import Detection, Frame, RegionDetector
from wardsafe.identifiers import Identifier, IdentifierType, find_in_words
from wardsafe.identifiers.permit_names import KeepNames

# Detection runs on the frame scaled to this long side; larger stills are also searched in tiles of this size.
DETECT_LONG_SIDE = 1280
TILE = 1280
# Video key frames are searched smaller (speed); photos get the full DETECT_LONG_SIDE.
VIDEO_LONG_SIDE = 960
TILE_OVERLAP = 256
# Below this recognition confidence a line's reading is doubtful.
DOUBTFUL = 0.8
# Below this a line is unreadable to OCR but may be readable to a person: hidden whole.
UNREADABLE = 0.45
# Words that announce an identifier, as OCR may misread them (D0B, NH5, l for 1 ...).
_LABEL = re.compile(r"(?i)^(d[o0]b|born|nh[s5]|mrn|hosp|patient|name|pt|tel|phone|e-?mail|address|addr|ward\s*no)\W*$")
# Part of one line found twice (a tile and the whole frame): the smaller box inside the larger this much.
SAME_LINE = 0.7
Box = tuple[float, float, float, float]
# Share of a word's height added on each side of its box (letters reach past their recognition steps).
WORD_PAD = 0.35


class TextRegions(RegionDetector):
    """Written identifiers (or all words) as rectangles, one per word."""

    kind = "text"
    shape = "rect"
    model_name = MODEL_NAME
    confirm_score = 0.0  # every text find is hidden as found (uncertain means hide)
    established_score = 0.0

    def __init__(self, engine: OcrEngine, mode: str = "identifiers", hide_names: Sequence[str] = (),
                 keep_names: Sequence[str] = (), cadence: int = 1) -> None:
        self.engine = engine
        self.mode = mode
        self.hide_names = tuple(hide_names)
        self.keep_names = tuple(keep_names)
        self.kept = KeepNames(self.keep_names, self.hide_names)
        self.model_sha256 = engine.model_sha256
        self.cadence = cadence

    def find(self, frame: Frame) -> list[Detection]:
        """Word boxes to hide on ``frame``."""
        lines = self.read_lines(frame)
        return [Detection(_padded(box, frame.width, frame.height), score) for box, score in self.words_to_hide(lines)]

    def read_lines(self, frame: Frame) -> list[OcrLine]:
        """Every line of text on ``frame``, read, top to bottom."""
        quads = self._find_lines(frame)
        lines = []
        for quad, score in quads:
            x0, y0 = (int(max(0.0, np.floor(v))) for v in quad.min(axis=0))
            x1 = int(min(frame.width, np.ceil(quad[:, 0].max()) + 2))
            y1 = int(min(frame.height, np.ceil(quad[:, 1].max()) + 2))
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            crop = np.ascontiguousarray(frame.rgb_crop(x0, y0, x1, y1))
            ox, oy = x0 - x0 % 2, y0 - y0 % 2
            line = self.engine.read(crop, quad - np.array([ox, oy], dtype=np.float32), score)
            lines.append(_shifted(line, ox, oy))
        lines.sort(key=lambda line: (line.box[1], line.box[0]))
        return lines

    def _find_lines(self, frame: Frame) -> list[tuple[Quad, float]]:
        long_side = DETECT_LONG_SIDE if frame.still else VIDEO_LONG_SIDE
        scale = min(1.0, long_side / max(frame.width, frame.height))
        w, h = max(1, round(frame.width * scale)), max(1, round(frame.height * scale))
        found = [(q / np.float32(scale), s) for q, s in self.engine.detect(frame.small_rgb(w, h), long_side)]
        if frame.still and scale < 0.75:
            # Small text on a large photo: also search it in tiles of a copy at twice the first search's scale
            # (a 12 MP photo at 2560 px: six tiles; full resolution would take three times as long).
            fine = min(1.0, 2 * scale)
            fw, fh = max(1, round(frame.width * fine)), max(1, round(frame.height * fine))
            big = frame.small_rgb(fw, fh)
            for x0, y0, x1, y1 in _tiles(fw, fh):
                tile = np.ascontiguousarray(big[y0:y1, x0:x1])
                found += [((q + np.array([x0, y0], dtype=np.float32)) / np.float32(fine), s)
                          for q, s in self.engine.detect(tile, TILE)]
            return _drop_repeats(found)
        return found

    def words_to_hide(self, lines: Sequence[OcrLine]) -> list[tuple[Box, float]]:
        """The boxes (and scores) of the words on ``lines`` that this mode hides."""
        out: list[tuple[Box, float]] = []
        if self.mode == "all":
            for line in lines:
                if any(self._kept_word(w.text) for w in line.words):
                    out += [(w.box, 1.0) for w in line.words if not self._kept_word(w.text)]
                else:  # the whole line: no gaps between words where a short one's edges show
                    out.append((line.box, 1.0))
            return out
        texts = [[w.text for w in line.words] for line in lines]
        found = find_in_words(texts, self.hide_names, self.keep_names) if any(texts) else [[] for _ in lines]
        for line, idents in zip(lines, found, strict=True):
            if not line.words or line.confidence < UNREADABLE:
                out.append((line.box, 1.0 - line.confidence))
                continue
            labelled = False
            for word, ident in zip(line.words, idents, strict=True):
                if ident is not None:
                    out.append((word.box, float(ident.score)))
                elif labelled and line.confidence < DOUBTFUL and not self._kept_word(word.text):
                    out.append((word.box, 1.0 - line.confidence))
                labelled = labelled or bool(_LABEL.match(word.text))
        out += [(card, 1.0) for card in _badge_cards(lines, found)]
        return out

    def _kept_word(self, text: str) -> bool:
        return bool(self.kept) and re.sub(r"\W", "", text).lower() in self.kept.parts


def _badge_cards(lines: Sequence[OcrLine], found: Sequence[Sequence[Identifier | None]]) -> list[Box]:
    """Badges: a line that is only a name with a plain line (a role) just below it is hidden as a whole card,
    both lines and half a line around them (the name can also be read from the card's layout and logo).

    A kept name is not an identifier here, so its wearer's badge stays readable.
    """
    cards: list[Box] = []
    for line, idents in zip(lines, found, strict=True):
        if not line.words or not all(i is not None and i.type is IdentifierType.NAME for i in idents):
            continue
        x0, y0, x1, y1 = line.box
        h = _line_height(line)
        below = [other for other, oi in zip(lines, found, strict=True) if other is not line and other.words
                 and all(i is None for i in oi) and _near_below(line.box, other.box, h)]
        if below:
            role = min(below, key=lambda o: o.box[1])
            cards.append((min(x0, role.box[0]) - h / 2, min(y0, role.box[1]) - h / 2,
                          max(x1, role.box[2]) + h / 2, max(y1, role.box[3]) + h / 2))
    return cards


def _line_height(line: OcrLine) -> float:
    return float(np.linalg.norm(line.quad[3] - line.quad[0]))


def _near_below(upper: Box, lower: Box, h: float) -> bool:
    """``lower`` starts under ``upper``'s top, within two line heights, and shares some of its width."""
    overlap = min(upper[2], lower[2]) - max(upper[0], lower[0])
    return upper[1] < lower[1] <= upper[3] + 2 * h and overlap > 0


def _padded(box: Box, width: int, height: int) -> Box:
    """A word box grown by a third of its height sideways and a tenth up and down: the ends of its first
    and last letters lie beyond the characters' time steps."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    return max(0.0, x0 - WORD_PAD * h), max(0.0, y0 - 0.1 * h), min(float(width), x1 + WORD_PAD * h), \
        min(float(height), y1 + 0.1 * h)


def _shifted(line: OcrLine, dx: float, dy: float) -> OcrLine:
    words = tuple(type(w)(w.text, (w.box[0] + dx, w.box[1] + dy, w.box[2] + dx, w.box[3] + dy)) for w in line.words)
    return OcrLine(line.quad + np.array([dx, dy], dtype=np.float32), words, line.confidence, line.det_score)


def _tiles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    step = TILE - TILE_OVERLAP
    xs = list(range(0, max(1, width - TILE_OVERLAP), step))
    ys = list(range(0, max(1, height - TILE_OVERLAP), step))
    return [(x, y, min(width, x + TILE), min(height, y + TILE)) for y in ys for x in xs]


def _drop_repeats(found: list[tuple[Quad, float]]) -> list[tuple[Quad, float]]:
    """Lines found once in the whole frame and again in a tile (or in two tiles): the larger one stays."""
    order = sorted(found, key=lambda f: -_area(f[0]))
    kept: list[tuple[Quad, float]] = []
    for quad, score in order:
        # Quadrilaterals, not their upright rectangles: a rotated line's rectangle covers its neighbours'.
        area = max(1e-6, float(cv2.contourArea(quad)))
        if not any(cv2.intersectConvexConvex(quad, k)[0] >= SAME_LINE * area for k, _ in kept):
            kept.append((quad, score))
    return kept


def _area(quad: Quad) -> float:
    return float(cv2.contourArea(quad))
