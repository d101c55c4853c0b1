"""Benchmark of the text stage against presidio-image-redactor, on generated ward scenes (bench/scenes.py).

Prints, for WardSafe and for Presidio's image redactor (Tesseract OCR + Presidio's default recognisers on the
same spaCy model WardSafe uses, offline):
  - identifier words hidden: share whose box changed enough (SSIM over the word box below HIDDEN_SSIM),
  - ordinary words readable: share whose box is still similar (SSIM at least READABLE_SSIM),
  - ms per 1280x720 image and per 12 MP photo,
and for WardSafe's video path, frames/s on a 720p panning clip with text on against faces only.

    PYTHONPATH=src nice -n 10 python bench/text.py [--scenes 12] [--no-presidio] [--no-video]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from scenes import CARDS, Scene, degrade, make_scene, write_pan_clip
from wardsafe.detect.ocr_engine import get_engine
from wardsafe.detect.seam import RgbFrame
from wardsafe.detect.text_regions import TextRegions
from wardsafe.redact.render import hide_shaped

HIDDEN_SSIM = 0.5
READABLE_SSIM = 0.8


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


def score(scene: Scene, after: np.ndarray) -> tuple[int, int, int, int]:
    """(identifier words hidden, identifier words, ordinary words readable, ordinary words)."""
    hid = idn = kept = ordn = 0
    for w in scene.words:
        x0, y0, x1, y1 = w.box
        s = ssim(scene.rgb[y0:y1, x0:x1], after[y0:y1, x0:x1])
        if w.identifier:
            idn += 1
            hid += s < HIDDEN_SSIM
        else:
            ordn += 1
            kept += s >= READABLE_SSIM
    return hid, idn, kept, ordn


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


def video_fps(frames: int) -> tuple[float, float]:
    """Frames/s of `wardsafe redact` on a 720p pan clip, faces only and with text (from the reports' timings)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pan.mp4"
        scene = make_scene(7, 1800, 720, cards=tuple(CARDS))
        write_pan_clip(str(src), scene, 1280, 720, frames)
        fps = []
        for args in (["--text", "none"], []):
            out = Path(tmp) / "out.mp4"
            subprocess.run([str(Path(sys.executable).with_name("wardsafe")), "redact", str(src), "-o", str(out),
                            "-q", *args], check=True)
            report = json.loads((Path(tmp) / "out.report.json").read_text())
            fps.append(frames / report["timings"]["total_s"])
    return fps[0], fps[1]


def main() -> None:
    """Runs the benchmark and prints its figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", type=int, default=12)
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--video-frames", type=int, default=100)
    args = ap.parse_args()
    detector = TextRegions(get_engine())
    scenes = scene_set(args.scenes)
    big = make_scene(9, 4000, 3000)
    peers: list[tuple[str, object]] = [("wardsafe", detector)]
    if not args.no_presidio:
        peers.append(("presidio-image-redactor", presidio_redactor()))
    wardsafe_redact(detector, scenes[0][1].rgb)  # warm-up: analyzer and sessions
    for name, engine in peers:
        redact = (lambda rgb, e=engine: wardsafe_redact(e, rgb)) if name == "wardsafe" else (
            lambda rgb, e=engine: presidio_redact(e, rgb))
        totals = np.zeros(4, dtype=int)
        by_cond: dict[str, np.ndarray] = {}
        ms = []
        for cond, s in scenes:
            t0 = time.perf_counter()
            after = redact(s.rgb)
            ms.append((time.perf_counter() - t0) * 1000)
            got = np.array(score(s, after))
            totals += got
            by_cond[cond] = by_cond.get(cond, np.zeros(4, dtype=int)) + got
        t0 = time.perf_counter()
        after_big = redact(big.rgb)
        big_ms = (time.perf_counter() - t0) * 1000
        big_score = score(big, after_big)
        print(f"{name}: identifier words hidden {totals[0]}/{totals[1]} = {totals[0] / max(1, totals[1]):.3f}; "
              f"ordinary words readable {totals[2]}/{totals[3]} = {totals[2] / max(1, totals[3]):.3f}; "
              f"{np.median(ms):.0f} ms per 1280x720 image (median of {len(ms)}); 12 MP photo {big_ms:.0f} ms "
              f"(hidden {big_score[0]}/{big_score[1]}, readable {big_score[2]}/{big_score[3]})")
        for cond, v in by_cond.items():
            print(f"    {cond:6s} hidden {v[0]}/{v[1]}  readable {v[2]}/{v[3]}")
    if not args.no_video:
        faces, text = video_fps(args.video_frames)
        print(f"video 720p pan ({args.video_frames} frames): faces only {faces:.1f} frames/s, with text "
              f"{text:.1f} frames/s: text costs {faces / text:.2f}x the faces-only time")


if __name__ == "__main__":
    main()
