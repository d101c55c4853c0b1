"""Benchmark of the text stage against presidio-image-redactor, on generated ward scenes (bench/scenes.py).

Prints, for WardSafe and for Presidio's image redactor (Tesseract OCR + Presidio's default recognisers on the
same spaCy model WardSafe uses, offline), overall and per group (720p / 12 MP, condition, small text,
rotated text):
  - identifier words hidden: share whose box changed enough (SSIM over the word box below HIDDEN_SSIM, on
    crops scaled so the text is at most SSIM_TEXT_HEIGHT high; also at the photo's own scale),
  - identifier words OCR still reads from their own quadrilateral, before and after hiding (a legibility
    check that does not depend on how much flat card a word's box holds),
  - ordinary words readable: share whose box is still similar (SSIM at least READABLE_SSIM),
  - ms per 1280x720 image and per 12 MP photo,
and for WardSafe's video path, frames/s on a 720p panning clip with text on against faces only.

    PYTHONPATH=src:bench nice -n 10 python bench/text.py [--scenes 12] [--big 1] [--no-presidio] [--no-video]
    PYTHONPATH=src:bench nice -n 10 python bench/text.py --video-only [--video-frames 100] [--video-runs 3]
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from scenes import CARDS, Scene, Word, degrade, make_scene, write_pan_clip
from wardsafe.detect.ocr_engine import OcrEngine, get_engine
from wardsafe.detect.seam import RgbFrame
from wardsafe.detect.text_regions import TextRegions
from wardsafe.redact.render import hide_shaped

HIDDEN_SSIM = 0.5
READABLE_SSIM = 0.8
# SSIM is taken on the word's own quadrilateral warped upright and at most this high: its 1.5 px window
# measures texture at pixel scale, and on a 12 MP photo a word 80 px high is mostly flat ink and flat card at
# that scale, blurred or not (a person reads the photo scaled to a screen); 720p words keep their scale.
SSIM_TEXT_HEIGHT = 32
# OCR read-back: an identifier counts as still legible when PP-OCR, reading its own quadrilateral after hiding,
# gives at least this similarity to the word (difflib ratio, case and punctuation ignored).
LEGIBLE = 0.8
SMALL_PX = 16
ROTATED_DEG = 20


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two grey crops (Gaussian window, sigma 1.5), as the face scorers compute it."""
    a, b = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64) for x in (a, b))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (0, 0), 1.5)

    ma, mb = blur(a), blur(b)
    va, vb, cov = blur(a * a) - ma * ma, blur(b * b) - mb * mb, blur(a * b) - ma * mb
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return float(s.mean())


def _grown(w: Word, along: float, across: float) -> np.ndarray:
    """The word's quadrilateral grown by ``along`` and ``across`` times its height (card frame)."""
    q = np.array(w.quad, dtype=np.float32)
    centre = q.mean(axis=0)
    h = float(np.linalg.norm(q[3] - q[0]))
    u = (q[1] - q[0]) / max(float(np.linalg.norm(q[1] - q[0])), 1e-6)
    n = (q[3] - q[0]) / max(h, 1e-6)
    return np.array([p + np.sign((p - centre) @ u) * u * along * h + np.sign((p - centre) @ n) * n * across * h
                     for p in q], dtype=np.float32)


def word_ssim(before: np.ndarray, after: np.ndarray, w: Word) -> float:
    """SSIM over the word itself: its quadrilateral (a tenth of its height grown) warped upright, at most
    ``SSIM_TEXT_HEIGHT`` high. The upright box of a rotated word is mostly card and wall, which a hiding
    that hugs the word leaves alone, and its neighbours' letters, which it must leave alone."""
    q = _grown(w, 0.1, 0.1)
    h = float(np.linalg.norm(q[3] - q[0]))
    out_h = max(8, round(min(float(SSIM_TEXT_HEIGHT), h)))
    out_w = max(8, round(out_h * float(np.linalg.norm(q[1] - q[0])) / max(h, 1e-6)))
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    a, b = (cv2.warpPerspective(x, m, (out_w, out_h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
            for x in (before, after))
    return ssim(a, b)


def _norm(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def legible(engine: OcrEngine, rgb: np.ndarray, w: Word) -> bool:
    """Whether OCR, reading the word's own quadrilateral (a little grown) on ``rgb``, reads it back."""
    read = "".join(word.text for word in engine.read(rgb, _grown(w, 0.15, 0.25)).words)
    return difflib.SequenceMatcher(None, _norm(read), _norm(w.text)).ratio() >= LEGIBLE


def tags(w: Word, size: str, cond: str) -> list[str]:
    """The groups a word is counted in: all, its size and condition, small text, rotated text."""
    out = ["all", size, f"{size} {cond}"]
    if w.height_px < SMALL_PX * (1 if size == "720p" else 3000 / 720):
        out.append(f"{size} small text (<{SMALL_PX} px at 720p)")
    if abs(w.angle) >= ROTATED_DEG:
        out.append(f"{size} rotated >= {ROTATED_DEG} deg")
    return out


# Per group: identifier words, hidden (SSIM), hidden (SSIM over the upright box at the photo's scale: the rule
# of the first runs), legible to OCR before, legible after; ordinary words, readable (SSIM), readable (first
# runs' rule).
Counts = dict[str, np.ndarray]


def score(engine: OcrEngine, scene: Scene, after: np.ndarray, size: str, cond: str, counts: Counts) -> None:
    """Adds the scene's words to ``counts``."""
    for w in scene.words:
        s = word_ssim(scene.rgb, after, w)
        x0, y0, x1, y1 = w.box
        raw = ssim(scene.rgb[y0:y1, x0:x1], after[y0:y1, x0:x1])
        if w.identifier:
            row = [1, s < HIDDEN_SSIM, raw < HIDDEN_SSIM, legible(engine, scene.rgb, w), legible(engine, after, w),
                   0, 0, 0]
        else:
            row = [0, 0, 0, 0, 0, 1, s >= READABLE_SSIM, raw >= READABLE_SSIM]
        for tag in tags(w, size, cond):
            counts.setdefault(tag, np.zeros(8, dtype=int))
            counts[tag] += np.array(row, dtype=int)


def wardsafe_redact(detector: TextRegions, rgb: np.ndarray) -> np.ndarray:
    """The photo path's text part: find word boxes, hide them as rectangles (blur)."""
    out = rgb.copy()
    frame = RgbFrame(out)
    regions = [(detector.region(part, frame.width, frame.height), detector.shape)
               for d in detector.find(frame) for part in (d.parts or (d.box,))]
    hide_shaped(out, regions, "blur")
    return out


def presidio_redactor():  # type: ignore[no-untyped-def]
    """Presidio's image redactor with Tesseract and Presidio's own recognisers on WardSafe's spaCy model."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import (
        DateRecognizer,
        EmailRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UkPostcodeRecognizer,
    )
    from presidio_image_redactor import ImageAnalyzerEngine, ImageRedactorEngine

    from wardsafe.identifiers import get_analyzer

    nlp_engine = get_analyzer().engine.nlp_engine
    # Presidio's own recognisers for the same identifier types (listed: its loader would also pick up
    # WardSafe's recogniser classes, which take other arguments).
    registry = RecognizerRegistry(recognizers=[
        SpacyRecognizer(supported_entities=["PERSON"]), NhsRecognizer(), PhoneRecognizer(supported_regions=["GB"]),
        EmailRecognizer(), DateRecognizer(), UkPostcodeRecognizer(),
    ], supported_languages=["en"])
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    return ImageRedactorEngine(image_analyzer_engine=ImageAnalyzerEngine(analyzer_engine=analyzer))


def presidio_redact(engine, rgb: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    from PIL import Image

    return np.asarray(engine.redact(Image.fromarray(rgb), fill=(0, 0, 0)).convert("RGB"))


def scene_set(n: int) -> list[tuple[str, Scene]]:
    """``n`` 720p scenes in four conditions: clean, small text, blurred, low light with noise."""
    out = []
    for seed in range(n):
        cond = ("clean", "small", "blur", "dark")[seed % 4]
        s = make_scene(100 + seed, small=cond == "small")
        if cond == "blur":
            s.rgb[:] = degrade(s.rgb, blur=1.2)
        elif cond == "dark":
            s.rgb[:] = degrade(s.rgb, light=0.45, noise=4, seed=seed)
        out.append((cond, s))
    return out


def video_fps(frames: int, runs: int = 1) -> tuple[float, float]:
    """Frames/s of `wardsafe redact` on a 720p pan clip, faces only and with text (from the reports' timings):
    the median of ``runs`` runs each, faces only and with text taking turns (the machine's load changes)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pan.mp4"
        scene = make_scene(7, 1800, 720, cards=tuple(CARDS))
        write_pan_clip(str(src), scene, 1280, 720, frames)
        fps: dict[str, list[float]] = {"faces": [], "text": []}
        for _ in range(runs):
            for name, args in (("faces", ["--text", "none"]), ("text", [])):
                out = Path(tmp) / "out.mp4"
                subprocess.run([str(Path(sys.executable).with_name("wardsafe")), "redact", str(src), "-o", str(out),
                                "-q", *args], check=True)
                report = json.loads((Path(tmp) / "out.report.json").read_text())
                fps[name].append(frames / report["timings"]["total_s"])
    return float(np.median(fps["faces"])), float(np.median(fps["text"]))


def main() -> None:
    """Runs the benchmark and prints its figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", type=int, default=12)
    ap.add_argument("--big", type=int, default=1, help="12 MP photos (seeds 9, 10, ...)")
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--video-frames", type=int, default=100)
    ap.add_argument("--video-runs", type=int, default=1, help="runs of each (faces only, with text); medians")
    ap.add_argument("--video-only", action="store_true", help="only the video part")
    args = ap.parse_args()
    if args.video_only:
        video(args.video_frames, args.video_runs)
        return
    engine = get_engine()
    detector = TextRegions(engine)
    scenes = [("720p", cond, s) for cond, s in scene_set(args.scenes)]
    scenes += [("12MP", "clean", make_scene(9 + k, 4000, 3000)) for k in range(args.big)]
    peers: list[tuple[str, object]] = [("wardsafe", detector)]
    if not args.no_presidio:
        peers.append(("presidio-image-redactor", presidio_redactor()))
    wardsafe_redact(detector, scenes[0][2].rgb)  # warm-up: analyzer and sessions
    for name, peer in peers:
        redact = (lambda rgb, e=peer: wardsafe_redact(e, rgb)) if name == "wardsafe" else (
            lambda rgb, e=peer: presidio_redact(e, rgb))
        counts: Counts = {}
        ms: dict[str, list[float]] = {"720p": [], "12MP": []}
        for size, cond, s in scenes:
            t0 = time.perf_counter()
            after = redact(s.rgb)
            ms[size].append((time.perf_counter() - t0) * 1000)
            score(engine, s, after, size, cond, counts)
        print(f"{name}: {np.median(ms['720p']):.0f} ms per 1280x720 image (median of {len(ms['720p'])}); "
              f"{np.median(ms['12MP']):.0f} ms per 12 MP photo (median of {len(ms['12MP'])})")
        print(f"    {'group':34s} {'hidden (SSIM<0.5)':>18s} {'box SSIM':>15s} {'OCR reads before':>17s} "
              f"{'OCR reads after':>16s} {'ordinary readable':>18s} {'box SSIM':>14s}")
        for tag in sorted(counts, key=lambda t: (t != "all", t)):
            n, hid, raw, before, still, ordn, kept, kept_raw = counts[tag]
            print(f"    {tag:34s} {hid:>4d}/{n:<4d}{hid / max(1, n):6.3f}   {raw:>4d}/{n:<4d}{raw / max(1, n):5.2f}"
                  f"  {before:>4d}/{n:<4d}{before / max(1, n):5.2f}   {still:>4d}/{n:<4d}{still / max(1, n):5.2f}"
                  f"   {kept:>4d}/{ordn:<4d}{kept / max(1, ordn):6.3f}  {kept_raw:>4d}/{ordn:<4d}"
                  f"{kept_raw / max(1, ordn):5.2f}")
    if not args.no_video:
        video(args.video_frames, args.video_runs)


def video(frames: int, runs: int) -> None:
    """Prints the video part: frames/s faces only and with text, and the ratio of their times."""
    faces, text = video_fps(frames, runs)
    print(f"video 720p pan ({frames} frames, median of {runs}): faces only {faces:.1f} frames/s, with text "
          f"{text:.1f} frames/s: text costs {faces / text:.2f}x the faces-only time")


if __name__ == "__main__":
    main()
