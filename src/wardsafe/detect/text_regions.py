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
from dataclasses import dataclass

import cv2
import numpy as np

from wardsafe.detect.ocr_engine import MODEL_NAME, OcrEngine, OcrLine, Quad
from wardsafe.detect.seam import ALL_LABEL, UNREADABLE_LABEL, Detection, Frame, RegionDetector
from wardsafe.identifiers import Identifier, IdentifierType, find_in_words
from wardsafe.identifiers.permit_names import KeepNames

# Detection runs on the frame scaled to this long side; larger stills are also searched in tiles of this size.
DETECT_LONG_SIDE = 1280
TILE = 1280
# Video key frames are searched smaller (speed); photos get the full DETECT_LONG_SIDE.
VIDEO_LONG_SIDE = 960
TILE_OVERLAP = 256
# Video: a line found again on the next key frame read keeps its reading if its picture is found unchanged
# within REUSE_MARGIN pixels of where it is detected, at most REUSE_SIZE of its height larger or smaller
# (detection boxes vary by a few pixels), no REUSE_BLOCK x REUSE_BLOCK square of it differing by REUSE_DIFF
# grey levels on average or REUSE_CONTRAST of its contrast, whichever is less (both pictures blurred by
# REUSE_BLUR px), and nothing more than REUSE_INK (grey standard deviation) in the new crop beside it (see
# _carried). Measured on a 720p scene moved by fractions of a pixel, with noise and JPEG: unchanged lines
# differed by at most 10, lines with one character replaced by at least 22.
REUSE_MARGIN = 8
REUSE_SIZE = 0.25
REUSE_BLOCK = 3
REUSE_DIFF = 15.0
REUSE_CONTRAST = 0.075
REUSE_BLUR = 1.5
REUSE_INK = 8.0
# Below this recognition confidence a line's reading is doubtful.
DOUBTFUL = 0.8
# Below this a line is unreadable to OCR but may be readable to a person: hidden whole, if it may be text
# (see _may_be_text): at least MIN_TEXT_PX high, at most MAX_UNREADABLE of the frame's shorter side, and
# with some characters read or a detection score of SURE_LINE.
UNREADABLE = 0.45
MIN_TEXT_PX = 8.0
MAX_UNREADABLE = 0.2
SURE_LINE = 0.5
# Words that announce an identifier, as OCR may misread them (D0B, NH5, l for 1 ...).
_LABEL = re.compile(r"(?i)^(d[o0]b|born|nh[s5]|mrn|hosp|patient|name|pt|tel|phone|e-?mail|address|addr|ward\s*no)\W*$")
# Part of one line found twice (a tile and the whole frame): the smaller box inside the larger this much.
SAME_LINE = 0.7
Box = tuple[float, float, float, float]
# Share of a word's height added at each end of it along its line (letters reach past their recognition
# steps), and above and below it.
WORD_PAD = 0.35
WORD_PAD_ACROSS = 0.1
# A word whose upright box is larger than this times its own area (rotated text) is covered in pieces of
# about this share of its height.
UPRIGHT_SLACK = 1.25
SEGMENT = 0.5
# Labels of hidden text that is not an identifier type: a line OCR cannot read, a word after a label on a
# doubtful line, a number after a label, a whole badge card, every word (--text all).
DOUBTFUL_LABEL = "DOUBTFUL_AFTER_LABEL"
NUMBER_LABEL = "NUMBER_AFTER_LABEL"
BADGE_LABEL = "BADGE"
# A badge's role line: at most this many words, its middle at most this many name-line heights below the
# name line's middle, at most this many degrees from its angle.
ROLE_WORDS = 4
ROLE_BELOW = 2.5
ROLE_ANGLE = 10.0


@dataclass(frozen=True, slots=True)
class Hidden:
    """A quadrilateral of text to hide, its score, and why: an identifier type (``NAME``, ``DATE_OF_BIRTH``,
    ... as the speech stage reports them) or one of the labels above. ``padded``: already grown to what must
    be hidden (words padded up to their neighbours, badge cards); otherwise :func:`padded_quad` pads it."""

    quad: Quad
    score: float
    label: str
    padded: bool = False


class TextRegions(RegionDetector):
    """Written identifiers (or all words) as rectangles, one per word."""

    kind = "text"
    shape = "text"
    model_name = MODEL_NAME
    confirm_score = 0.0  # every text find is hidden as found (uncertain means hide)
    established_score = 0.0
    # Writing on monitors, boards, wristbands and letters: carried with the camera between readings (a badge
    # moves with its wearer; its track's own motion in the scene is kept too).
    fixed_in_scene = True

    def __init__(self, engine: OcrEngine, mode: str = "identifiers", hide_names: Sequence[str] = (),
                 keep_names: Sequence[str] = (), cadence: int = 1) -> None:
        self.engine = engine
        self.mode = mode
        self.hide_names = tuple(hide_names)
        self.keep_names = tuple(keep_names)
        self.kept = KeepNames(self.keep_names, self.hide_names)
        self.model_sha256 = engine.model_sha256
        self.cadence = cadence
        # The lines of the last video key frame read, with their pictures (see read_lines). Shared by the jobs
        # that share this detector: a reading is kept only for a picture the same as the one it was read on,
        # so another video's lines are read afresh, never mistaken for these.
        self._last_read: list[_Seen] = []
        # The words of the last reading and what the recognisers found in them: the same lines again (all of
        # them carried, on a still camera) are not classified again (the name model took about 0.1 s a reading).
        self._last_found: tuple[tuple[tuple[str, ...], ...], list[list[Identifier | None]]] | None = None
        # Lines recognised (not carried from an earlier reading) on video key frames, for benchmarks.
        self.fresh_readings = 0

    def find(self, frame: Frame) -> list[Detection]:
        """Word boxes to hide on ``frame``: one per word (line, card), the upright box of its own
        quadrilateral padded along its line. On a photo a rotated word's detection also has ``parts``, short
        upright boxes along it that hug it (see :func:`cover`), hidden in place of the whole box. Video
        frames hide the whole box, which the tracker follows between readings (short pieces of a word move
        past each other's boxes between key frames and would be matched to the wrong piece). Each
        detection's label is the identifier type that hid it."""
        out = []
        for hide in self.words_to_hide(self.read_lines(frame), min(frame.width, frame.height)):
            quad = hide.quad if hide.padded else padded_quad(hide.quad)
            whole = cover(quad, frame.width, frame.height, pieces=False)
            if not whole:
                continue
            pieces = cover(quad, frame.width, frame.height) if frame.still else whole
            out.append(Detection(whole[0], hide.score, hide.label, tuple(pieces) if len(pieces) > 1 else ()))
        return out

    def read_lines(self, frame: Frame) -> list[OcrLine]:
        """Every line of text on ``frame``, read, top to bottom.

        On a video key frame a line that the last reading read, found again unchanged (moved by the camera,
        about the same size, no stroke of it changed: see :func:`_carried`), keeps that reading, moved to
        where it is now, instead of being recognised again (recognition was about half of a reading's time);
        a line that changed, came further into view or is new is read.
        """
        quads = self._find_lines(frame)
        earlier = [] if frame.still else self._last_read
        seen: list[_Seen] = []
        lines = []
        for quad, score in quads:
            x0, y0 = (int(max(0.0, np.floor(v))) for v in quad.min(axis=0))
            x1 = int(min(frame.width, np.ceil(quad[:, 0].max()) + 2))
            y1 = int(min(frame.height, np.ceil(quad[:, 1].max()) + 2))
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            ox, oy = x0 - x0 % 2, y0 - y0 % 2
            if frame.still:
                crop = np.ascontiguousarray(frame.rgb_crop(x0, y0, x1, y1))
                line = _shifted(self.engine.read(crop, quad - np.array([ox, oy], dtype=np.float32), score), ox, oy)
            else:
                # The line with a margin around it, where an earlier reading's picture of it is looked for.
                gx0, gy0 = max(0, ox - REUSE_MARGIN), max(0, oy - REUSE_MARGIN)
                gx0, gy0 = gx0 - gx0 % 2, gy0 - gy0 % 2
                around = frame.rgb_crop(gx0, gy0, min(frame.width, x1 + REUSE_MARGIN),
                                        min(frame.height, y1 + REUSE_MARGIN))
                blurred = cv2.GaussianBlur(cv2.cvtColor(around, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0),
                                           REUSE_BLUR)
                cx1, cy1 = x1 - x1 % 2, y1 - y1 % 2
                patch = blurred[oy - gy0:cy1 - gy0, ox - gx0:cx1 - gx0]
                found = _carried(earlier, blurred, (gx0, gy0), (ox - gx0, oy - gy0, cx1 - gx0, cy1 - gy0), score)
                if found is None:
                    crop = np.ascontiguousarray(around[oy - gy0:cy1 - gy0, ox - gx0:cx1 - gx0])
                    found = _shifted(self.engine.read(crop, quad - np.array([ox, oy], dtype=np.float32), score),
                                     ox, oy)
                    self.fresh_readings += 1
                line = found
                seen.append(_Seen(np.ascontiguousarray(patch), (ox, oy), line))
            lines.append(line)
        if not frame.still:
            self._last_read = seen
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

    def words_to_hide(self, lines: Sequence[OcrLine], short_side: float = float("inf")) -> list[Hidden]:
        """What this mode hides on ``lines`` (of a frame whose shorter side is ``short_side`` pixels): word
        (or line, or card) quadrilaterals, scores and why."""
        out: list[Hidden] = []
        if self.mode == "all":
            for line in lines:
                if _unreadable(line):
                    # as in the default mode (one such "line" covered a whole 480x180 frame)
                    out += _hidden_unreadable(line, short_side)
                elif any(self._kept_word(w.text) for w in line.words):
                    out += [Hidden(word_quad(line, k), 1.0, ALL_LABEL, padded=True)
                            for k, w in enumerate(line.words) if not self._kept_word(w.text)]
                else:  # the whole line: no gaps between words where a short one's edges show
                    out.append(Hidden(line.quad, 1.0, ALL_LABEL))
            return out
        texts = tuple(tuple(w.text for w in line.words) for line in lines)
        last = self._last_found
        if last is not None and last[0] == texts:  # the same lines as the last reading (a still camera)
            found = last[1]
        else:
            found = find_in_words(texts, self.hide_names, self.keep_names) if any(texts) else [[] for _ in lines]
            self._last_found = (texts, found)
        for line, idents in zip(lines, found, strict=True):
            if _unreadable(line):
                out += _hidden_unreadable(line, short_side)
                continue
            labelled = False
            for k, (word, ident) in enumerate(zip(line.words, idents, strict=True)):
                if ident is not None:
                    out.append(Hidden(word_quad(line, k), float(ident.score), ident.type.value, padded=True))
                elif labelled and line.confidence < DOUBTFUL and not self._kept_word(word.text):
                    out.append(Hidden(word_quad(line, k), 1.0 - line.confidence, DOUBTFUL_LABEL, padded=True))
                elif labelled and any(c.isdigit() for c in word.text):
                    # A number after an identifier label is that identifier even when the recognisers miss
                    # it (part of an NHS number cut off or misread, so its checksum fails).
                    out.append(Hidden(word_quad(line, k), line.confidence, NUMBER_LABEL, padded=True))
                labelled = labelled or bool(_LABEL.match(word.text))
        out += [Hidden(card, 1.0, BADGE_LABEL, padded=True) for card in _badge_cards(lines, found)]
        return out

    def _kept_word(self, text: str) -> bool:
        return bool(self.kept) and re.sub(r"\W", "", text).lower() in self.kept.parts


@dataclass(frozen=True, slots=True)
class _Seen:
    """A line read on a video key frame: its picture (grey, blurred; the crop it was read from), where that
    crop's top-left corner was, and its reading in frame pixels."""

    patch: np.ndarray
    origin: tuple[int, int]
    line: OcrLine


def _carried(earlier: Sequence[_Seen], around: np.ndarray, origin: tuple[int, int],
             crop: tuple[int, int, int, int], det_score: float) -> OcrLine | None:
    """The reading of an ``earlier`` line whose picture is found unchanged in ``around`` (grey, blurred, its
    top-left corner at ``origin`` in the frame), moved to where it is found; None if none is.

    ``crop`` is the new line's crop (x0, y0, x1, y1 in ``around``). A candidate's picture is at most
    ``REUSE_SIZE`` of the line's height larger or smaller than it. Where it matches best (to a fraction of a
    pixel: the camera moves the picture by fractions), no small square of it differs by more than
    ``REUSE_DIFF`` grey levels (or ``REUSE_CONTRAST`` of its contrast) on average (a changed character changes
    its strokes by more), and what of the new crop lies outside it is blank (no character was added at an
    end, as when a line comes further into view or a field is filled in).
    """
    x0, y0, x1, y1 = crop
    h, w = y1 - y0, x1 - x0
    slack = REUSE_SIZE * h
    for seen in earlier:
        th, tw = seen.patch.shape
        if abs(th - h) > slack or abs(tw - w) > slack or th > around.shape[0] or tw > around.shape[1]:
            continue
        scores = cv2.matchTemplate(around, seen.patch, cv2.TM_SQDIFF)
        _, _, (mx, my), _ = cv2.minMaxLoc(scores)
        fx, fy = _vertex(scores[my, max(0, mx - 1):mx + 2], mx), _vertex(scores[max(0, my - 1):my + 2, mx], my)
        found = cv2.getRectSubPix(around, (tw, th), (mx + fx + (tw - 1) / 2, my + fy + (th - 1) / 2))
        contrast = float(seen.patch.max() - seen.patch.min())
        if _max_block_diff(found, seen.patch) >= min(REUSE_DIFF, REUSE_CONTRAST * contrast):
            continue
        outside = [around[y0:y1, x0:min(x1, mx)], around[y0:y1, max(x0, mx + tw):x1],
                   around[y0:min(y1, my), x0:x1], around[max(y0, my + th):y1, x0:x1]]
        if any(part.size and float(part.std()) > REUSE_INK for part in outside):
            continue
        line = _shifted(seen.line, origin[0] + mx + fx - seen.origin[0], origin[1] + my + fy - seen.origin[1])
        return OcrLine(line.quad, line.words, line.confidence, det_score)
    return None


def _max_block_diff(a: np.ndarray, b: np.ndarray) -> float:
    """The largest mean absolute difference of ``a`` and ``b`` (same shape) over squares ``REUSE_BLOCK``
    pixels wide: a stroke that changed shows, a pixel of noise does not."""
    return float(cv2.blur(np.abs(a - b), (REUSE_BLOCK, REUSE_BLOCK)).max())


def _vertex(scores: np.ndarray, at: int) -> float:
    """The fraction of a pixel by which the minimum of three neighbouring match scores lies off the middle
    one (a parabola through them); 0 at the edge of the search."""
    if scores.shape[0] != 3 or at == 0:
        return 0.0
    a, b, c = (float(v) for v in scores)
    curve = a - 2 * b + c
    return float(np.clip(0.5 * (a - c) / curve, -0.5, 0.5)) if curve > 0 else 0.0


def _badge_cards(lines: Sequence[OcrLine], found: Sequence[Sequence[Identifier | None]]) -> list[Quad]:
    """Badges: a line that is only a name with a role just below it is hidden as a whole card, both lines
    and half a line around them (the name can also be read from the card's layout and logo).

    A role is a short plain line (no identifier, no digits, at most ``ROLE_WORDS`` words) at the name line's
    angle, starting within ``ROLE_BELOW`` of its height under it in the name line's own frame (a rotated
    card's upright boxes overlap other lines), sharing some of its length. Every such line joins the card (a
    role found twice, whole and in part, is covered whole). A name above ward text, such as a monitor's
    name line whose label was cut off above "Bay 3 Obs due 14:00", is not a badge.

    A kept name is not an identifier here, so its wearer's badge stays readable.
    """
    cards: list[Quad] = []
    for line, idents in zip(lines, found, strict=True):
        if not line.words or not all(i is not None and i.type is IdentifierType.NAME for i in idents):
            continue
        h = _line_height(line)
        roles = [other.quad for other, oi in zip(lines, found, strict=True) if other is not line
                 and _is_role(other, oi) and _just_below(line, other, h)]
        if roles:
            # The card in the name line's own frame (a rotated badge is not its upright rectangle).
            cards.append(_hull_along(line.quad, np.vstack([line.quad, *roles]), h / 2, h / 2))
    return cards


def _unreadable(line: OcrLine) -> bool:
    """Whether OCR could read nothing of ``line`` it is sure of."""
    return not line.words or line.confidence < UNREADABLE


def _hidden_unreadable(line: OcrLine, short_side: float) -> list[Hidden]:
    """An unreadable line, hidden whole only where it may be text (the line detector also finds faces and
    noisy walls)."""
    return [Hidden(line.quad, 1.0 - line.confidence, UNREADABLE_LABEL)] if _may_be_text(line, short_side) else []


def _may_be_text(line: OcrLine, short_side: float) -> bool:
    """Whether a line OCR cannot read may still be text a person could read: at least ``MIN_TEXT_PX`` high
    (smaller is a speck), at most ``MAX_UNREADABLE`` of the frame's shorter side (text that large is read
    unless it is not text: the detector also finds lines in faces, hair and noisy walls), and either some
    characters read or a confident detection."""
    h = _line_height(line)
    return MIN_TEXT_PX <= h <= MAX_UNREADABLE * short_side and (bool(line.words) or line.det_score >= SURE_LINE)


def _is_role(line: OcrLine, idents: Sequence[Identifier | None]) -> bool:
    """A short plain line: words, none an identifier, none with a digit, at most ``ROLE_WORDS``."""
    return (0 < len(line.words) <= ROLE_WORDS and all(i is None for i in idents)
            and not any(c.isdigit() for w in line.words for c in w.text))


def _line_height(line: OcrLine) -> float:
    return float(np.linalg.norm(line.quad[3] - line.quad[0]))


def _just_below(upper: OcrLine, lower: OcrLine, h: float) -> bool:
    """``lower`` lies under ``upper`` in ``upper``'s own frame: at about its angle, its middle between half a
    line and ``ROLE_BELOW`` line heights below ``upper``'s middle, sharing some of its length."""
    u = upper.quad[1] - upper.quad[0]
    v = lower.quad[1] - lower.quad[0]
    cos = float(u @ v) / max(float(np.linalg.norm(u) * np.linalg.norm(v)), 1e-6)
    if cos < np.cos(np.deg2rad(ROLE_ANGLE)):
        return False
    u = u / max(float(np.linalg.norm(u)), 1e-6)
    n = np.array([-u[1], u[0]], dtype=np.float32)
    down = float((lower.quad.mean(axis=0) - upper.quad.mean(axis=0)) @ n)
    a_up = (upper.quad - upper.quad[0]) @ u
    a_low = (lower.quad - upper.quad[0]) @ u
    overlap = min(float(a_up.max()), float(a_low.max())) - max(float(a_up.min()), float(a_low.min()))
    return 0.5 * h < down <= ROLE_BELOW * h and overlap > 0


def word_quad(line: OcrLine, k: int) -> Quad:
    """Word ``k`` of ``line``, padded as :func:`padded_quad` pads it, but at each end no further than halfway
    to the next word on the line: the padding covers the ends of the word's own letters, not its neighbour's
    first or last letter (an ordinary word beside an identifier stays readable)."""
    words = line.words
    quad = words[k].quad
    h = _height(line.quad)
    u = line.quad[1] - line.quad[0]
    u = u / max(float(np.linalg.norm(u)), 1e-6)

    def extent(q: Quad) -> tuple[float, float]:
        a = (q - line.quad[0]) @ u
        return float(a.min()), float(a.max())

    start, end = extent(quad)
    before = WORD_PAD * h
    after = WORD_PAD * h
    if k > 0:
        before = min(before, max(0.0, (start - extent(words[k - 1].quad)[1]) / 2))
    if k + 1 < len(words):
        after = min(after, max(0.0, (extent(words[k + 1].quad)[0] - end) / 2))
    grown = _hull_along(line.quad, quad, 0.0, WORD_PAD_ACROSS * _height(quad))
    grown[0] -= u * before
    grown[3] -= u * before
    grown[1] += u * after
    grown[2] += u * after
    return grown


def padded_quad(quad: Quad) -> Quad:
    """A word's quadrilateral grown along its line by ``WORD_PAD`` of its height at each end and by
    ``WORD_PAD_ACROSS`` above and below: the ends of its first and last letters lie beyond the characters'
    time steps. Grown in the word's own frame, so a rotated word's padding does not reach the next line."""
    return _hull_along(quad, quad, WORD_PAD * _height(quad), WORD_PAD_ACROSS * _height(quad))


def _height(quad: Quad) -> float:
    return float(np.linalg.norm(quad[3] - quad[0]))


def _hull_along(frame_quad: Quad, points: np.ndarray, along: float, across: float) -> Quad:
    """The rectangle, in ``frame_quad``'s own axes (its top side and its left side), holding ``points``,
    grown by ``along`` at both ends and ``across`` above and below."""
    u = frame_quad[1] - frame_quad[0]
    u = u / max(float(np.linalg.norm(u)), 1e-6)
    n = np.array([-u[1], u[0]], dtype=np.float32)
    origin = frame_quad[0]
    a = (points - origin) @ u
    b = (points - origin) @ n
    a0, a1, b0, b1 = a.min() - along, a.max() + along, b.min() - across, b.max() + across
    corners = [origin + u * x + n * y for x, y in ((a0, b0), (a1, b0), (a1, b1), (a0, b1))]
    return np.array(corners, dtype=np.float32)


def cover(quad: Quad, width: int, height: int, pieces: bool = True) -> list[Box]:
    """Upright boxes (clipped to the frame) that together cover ``quad``, hugging it.

    Level text is one box. The upright box of a rotated word also covers the ends of its neighbours on the
    line and the words of the lines above and below; so a rotated word is cut along its length into
    pieces about ``SEGMENT`` of its height long, each hidden by its own upright box (at 30 degrees these
    reach ``SEGMENT`` / 2 * sin(60 degrees) of the height past the word instead of half its length).
    Without ``pieces``, one upright box.
    """
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    h = max(_height(quad), 1.0)
    length = float(np.linalg.norm(quad[1] - quad[0]))
    count = 1
    if pieces and (x1 - x0) * (y1 - y0) > UPRIGHT_SLACK * max(float(cv2.contourArea(quad)), 1.0):
        count = max(1, int(np.ceil(length / (SEGMENT * h))))
    out: list[Box] = []
    for k in range(count):
        f0, f1 = k / count, (k + 1) / count
        pts = np.array([quad[0] + (quad[1] - quad[0]) * f0, quad[0] + (quad[1] - quad[0]) * f1,
                        quad[3] + (quad[2] - quad[3]) * f1, quad[3] + (quad[2] - quad[3]) * f0])
        bx = (max(0.0, float(pts[:, 0].min())), max(0.0, float(pts[:, 1].min())),
              min(float(width), float(pts[:, 0].max())), min(float(height), float(pts[:, 1].max())))
        if bx[2] > bx[0] and bx[3] > bx[1]:
            out.append(bx)
    return out


def _shifted(line: OcrLine, dx: float, dy: float) -> OcrLine:
    shift = np.array([dx, dy], dtype=np.float32)
    words = tuple(type(w)(w.text, (w.box[0] + dx, w.box[1] + dy, w.box[2] + dx, w.box[3] + dy), w.quad + shift)
                  for w in line.words)
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
