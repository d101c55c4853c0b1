"""Recall on the hard-faces set, per augmentation: CenterFace alone, BlazeFace alone, and both combined.

A labelled face (min side >= 12 px, as the shared scorer counts) is found when a detection's centre lies
in its box. False positives are counted on face-free crops of faces_dev (see
:func:`make_hard_faces.background_crops`: away from every labelled face, so they may still show
people from behind). Times are per image, in this process, on the set's own images.

usage: .venv/bin/python bench/hard_faces.py HARD_DIR [--shared ../shared] [--threads 1] [--only NAME] [--hide OUT]
(HARD_DIR from bench/make_hard_faces.py). With --hide, each method's outputs can then be scored end to end:
    python ../shared/tools/face_protect.py HARD_DIR OUT/combined_0.15 -- true   (outputs exist, nothing is run)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from make_hard_faces import background_crops, scorable  # noqa: E402
from wardsafe.detect.blazeface import CombinedFaceDetector, load_blazeface  # noqa: E402
from wardsafe.detect.faces import FaceBox, load_face_detector  # noqa: E402


def found(faces: list[FaceBox], boxes: list[list[int]]) -> list[bool]:
    """For each labelled box [x, y, w, h], whether some detection's centre lies inside it."""
    centres = np.array([[f.cx, f.cy] for f in faces]).reshape(-1, 2)
    return [
        bool(((centres[:, 0] >= x) & (centres[:, 0] <= x + w) & (centres[:, 1] >= y) & (centres[:, 1] <= y + h)).any())
        for x, y, w, h in boxes
    ]


def write_hidden(rgb: np.ndarray, faces: list[FaceBox], path: Path) -> None:
    """``rgb`` with each face's head blurred as WardSafe hides it, saved to ``path`` (JPEG)."""
    from wardsafe.detect.face_regions import head_region
    from wardsafe.redact.filters import hide_regions

    out = rgb.copy()
    height, width = rgb.shape[:2]
    hide_regions(out, [head_region((f.x0, f.y0, f.x1, f.y1), width, height) for f in faces], "blur")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(out).save(path, "JPEG", quality=93)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("hard", type=Path)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", help="only the methods whose name contains this")
    parser.add_argument(
        "--hide",
        type=Path,
        help="also write each method's output (heads blurred) to HIDE/<method>/, for face_protect.py",
    )
    args = parser.parse_args()
    centerface = load_face_detector(threads=args.threads)
    short, full = (load_blazeface(v, threads=args.threads) for v in ("short", "full"))
    both = CombinedFaceDetector(centerface, [short, full])
    methods: dict[str, Callable[[np.ndarray], list[FaceBox]]] = {
        "CenterFace 0.15": lambda rgb: centerface.detect_photo(rgb, 0.15),
        "CenterFace 0.07": lambda rgb: centerface.detect_photo(rgb, 0.07),
        "CenterFace 0.05": lambda rgb: centerface.detect_photo(rgb, 0.05),
        "BlazeFace short 0.5": lambda rgb: short.detect(rgb, 0.5),
        "BlazeFace full 0.5": lambda rgb: full.detect(rgb, 0.5),
        "CF 0.15 | BF short 0.5": lambda rgb: centerface.detect_photo(rgb, 0.15) + short.detect(rgb, 0.5),
        "combined 0.15": lambda rgb: both.detect_photo(rgb, 0.15),
        "combined 0.07": lambda rgb: both.detect_photo(rgb, 0.07),
        "combined 0.05": lambda rgb: both.detect_photo(rgb, 0.05),
    }
    if args.only:
        methods = {name: method for name, method in methods.items() if args.only in name}
    manifest = json.loads((args.hard / "manifest.json").read_text())
    hits: dict[str, dict[str, list[int]]] = {m: defaultdict(lambda: [0, 0]) for m in methods}
    seconds: dict[str, float] = defaultdict(float)
    for entry in manifest:
        rgb = np.asarray(Image.open(args.hard / entry["image"]).convert("RGB"))
        boxes = scorable(entry["boxes"])
        for name, method in methods.items():
            started = time.perf_counter()
            faces = method(rgb)
            seconds[name] += time.perf_counter() - started
            result = found(faces, boxes)
            if args.hide:
                write_hidden(rgb, faces, args.hide / name.replace(" ", "_").replace("|", "or") / entry["image"])
            for key in (entry["aug"], "ALL"):
                hits[name][key][0] += sum(result)
                hits[name][key][1] += len(result)
    backgrounds = background_crops(args.shared / "data" / "faces_dev")
    false_positives = {name: sum(len(method(crop)) for crop in backgrounds) for name, method in methods.items()}
    augs = list(dict.fromkeys(e["aug"] for e in manifest)) + ["ALL"]
    counts = hits[next(iter(methods))]
    print(f"{len(manifest)} images; faces: " + ", ".join(f"{a} {counts[a][1]}" for a in augs))
    print(f"{'':24s}" + "".join(f"{a[:7]:>8s}" for a in augs) + f"  FP/{len(backgrounds)} crops  ms/image")
    for name in methods:
        row = "".join(f"{hits[name][a][0] / max(1, hits[name][a][1]):8.3f}" for a in augs)
        print(f"{name:24s}{row}{false_positives[name]:10d}{seconds[name] / len(manifest) * 1000:10.0f}")


if __name__ == "__main__":
    main()
