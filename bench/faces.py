"""Face-redaction benchmark: WardSafe against deface, measured in the same run, scored by the shared tools.

Sections (all by default):
  detector  detect() time and recall per input size and thread count, on frames of the make_clip clip
  photos    faces_dev (214 real photos): protected-face rate and collateral (shared face_protect.py)
  photo12mp one 12-megapixel photo composed from faces_dev: end-to-end time, in-process time, protection
  clip      the 720p make_clip clip (shared video_protect.py): protection, frames with a readable face, frames/s
  panzoom   pans and zooms over real group photos (bench/make_panzoom.py), scored the same way

Peers: deface 1.5.0 by default and with ``--scale 640x360`` (``--keep-audio`` on videos).
WardSafe: ``wardsafe redact IN -o OUT``. Generated files go under bench/out/ (never committed).

usage: .venv/bin/python bench/faces.py [--quick] [--shared ../shared] [--only detector,photos,...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
OUT = REPO / "bench" / "out"
SECTIONS = ("detector", "photos", "photo12mp", "clip", "panzoom")
DEFACE_MODES = {"deface": [], "deface 640x360": ["--scale", "640x360"]}


def wardsafe_cmd() -> list[str]:
    return [str(VENV_BIN / "wardsafe"), "redact", "{in}", "-o", "{out}", "--quiet"]


def deface_cmd(extra: list[str], video: bool) -> list[str]:
    return [str(VENV_BIN / "deface"), "{in}", "-o", "{out}", *extra, *(["--keep-audio"] if video else [])]


def run_json(cmd: list[str]) -> dict:
    """Runs a scorer and returns the JSON object on its last output line."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout)[-400:]}
    return json.loads(lines[-1])


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    """Prints a plain aligned table."""
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n## {title}")
    for k, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


# ---------------------------------------------------------------------------------------------- inputs


def subset_manifest(faces_dev: Path, count: int) -> Path:
    """A folder with the first ``count`` faces_dev photos (links) and their manifest, for --quick runs."""
    folder = OUT / f"faces_dev_{count}"
    manifest = json.loads((faces_dev / "manifest.json").read_text())[:count]
    folder.mkdir(parents=True, exist_ok=True)
    for entry in manifest:
        link = folder / entry["image"]
        if not link.exists():
            link.symlink_to(faces_dev / entry["image"])
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def make_12mp_photo(faces_dev: Path) -> Path:
    """A 4000x3000 JPEG of real faces_dev photos and its manifest: half the cells hold one photo enlarged
    2.5x (faces 30-250 px), half a 2x2 mosaic at 1.25x (faces 15-60 px, small in a large photo)."""
    folder = OUT / "photo12mp"
    if (folder / "manifest.json").exists():
        return folder
    from PIL import Image

    manifest = [m for m in json.loads((faces_dev / "manifest.json").read_text()) if m["boxes"]]
    canvas = Image.new("RGB", (4000, 3000), (90, 90, 90))
    boxes: list[list[int]] = []
    pick = iter(manifest[::3])

    def paste(entry: dict, x: int, y: int, w: int, h: int) -> None:
        photo = Image.open(faces_dev / entry["image"]).convert("RGB")
        sx, sy = w / photo.width, h / photo.height
        canvas.paste(photo.resize((w, h), Image.BICUBIC), (x, y))
        boxes.extend([round(x + bx * sx), round(y + by * sy), round(bw * sx), round(bh * sy)]
                     for bx, by, bw, bh in entry["boxes"])

    for row in range(4):
        for col in range(4):
            x, y = col * 1000, row * 750
            if (row + col) % 2 == 0:
                paste(next(pick), x, y, 1000, 750)
            else:
                for sub in range(4):
                    paste(next(pick), x + (sub % 2) * 500, y + (sub // 2) * 375, 500, 375)
    folder.mkdir(parents=True, exist_ok=True)
    canvas.save(folder / "photo12mp.jpg", quality=92)
    (folder / "manifest.json").write_text(json.dumps([{"image": "photo12mp.jpg", "boxes": boxes}]))
    return folder


def make_clip(shared: Path) -> Path:
    folder = OUT / "clip720"
    if not (folder / "truth.json").exists():
        subprocess.run([sys.executable, str(shared / "tools" / "make_clip.py"), str(folder)], check=True)
    return folder


def make_panzoom(shared: Path, seconds: float) -> Path:
    folder = OUT / f"panzoom_{seconds:g}s"
    if not (folder / "truth.json").exists():
        cmd = [sys.executable, str(REPO / "bench" / "make_panzoom.py"), str(folder), "--shared", str(shared),
               "--seconds", str(seconds)]
        subprocess.run(cmd, check=True)
    return folder


# -------------------------------------------------------------------------------------------- sections


def bench_detector(clip: Path, quick: bool) -> None:
    """detect() time and recall at the sizes video detection may use, with 1 and 2 threads."""
    import av

    from wardsafe.detect.faces import DEFAULT_THRESHOLD, load_face_detector

    truth = json.loads((clip / "truth.json").read_text())["boxes"]
    every = 30 if quick else 10
    frames: list[tuple[np.ndarray, list[list[int]]]] = []
    with av.open(str(clip / "clip.mp4")) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every == 0:
                frames.append((frame.to_ndarray(format="rgb24"), truth[index]))
    sizes = [(640, 360), (960, 540), (1280, 720)]
    rows = []
    for precision, threads in (("float", 1), ("float", 2), ("int8", 1), ("int8", 2)):
        detector = load_face_detector(threads=threads, precision=precision)
        for width, height in sizes:
            small = [cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA) if width != 1280 else rgb
                     for rgb, _ in frames]
            detector.detect(small[0])  # warm-up: the first run allocates
            times, found, total, by_size = [], 0, 0, {"24-48": [0, 0], "48+": [0, 0]}
            for image, (_, boxes) in zip(small, frames, strict=True):
                start = time.perf_counter()
                faces = detector.detect(image, DEFAULT_THRESHOLD)
                times.append(time.perf_counter() - start)
                scale = 1280 / width
                centres = [((f.x0 + f.x1) / 2 * scale, (f.y0 + f.y1) / 2 * scale) for f in faces]
                for x, y, w, h in boxes:
                    hit = any(x <= cx <= x + w and y <= cy <= y + h for cx, cy in centres)
                    found += hit
                    total += 1
                    bucket = by_size["24-48" if min(w, h) < 48 else "48+"]
                    bucket[0] += hit
                    bucket[1] += 1
            padded = f"{width}x{-(-height // 32) * 32}"
            rows.append([padded, precision, threads, f"{statistics.median(times) * 1000:.1f}", f"{found / total:.3f}",
                         *(f"{v[0] / max(v[1], 1):.3f}" for v in by_size.values())])
    table(f"detect() on make_clip frames (every {every}th frame, threshold {DEFAULT_THRESHOLD})",
          ["input", "model", "threads", "median ms", "recall", "recall 24-48px", "recall 48+px"], rows)


def bench_photos(faces_dev: Path, shared: Path, quick: bool) -> None:
    source = subset_manifest(faces_dev, 40) if quick else faces_dev
    tools = {"WardSafe": wardsafe_cmd(), "deface": deface_cmd([], video=False)}
    if not quick:
        tools["deface 640x360"] = deface_cmd(DEFACE_MODES["deface 640x360"], video=False)
    results = {}
    for name, cmd in tools.items():
        out = OUT / "photos" / name.replace(" ", "_")
        shutil.rmtree(out, ignore_errors=True)
        scorer = [sys.executable, str(shared / "tools" / "face_protect.py"), str(source), str(out), "--", *cmd]
        results[name] = run_json(scorer)
    deface_collateral = results["deface"].get("collateral", float("nan"))
    rows = []
    for name, r in results.items():
        if "error" in r:
            rows.append([name, "error: " + r["error"].strip().splitlines()[-1][:80]])
            continue
        rows.append([name, r["images"], r["failed_runs"], r["faces"], f"{r['protected_rate']:.4f}",
                     " ".join(f"{k}:{v}" for k, v in r["by_size"].items()), f"{r['collateral']:.5f}",
                     f"{r['collateral'] / deface_collateral:.2f}x" if deface_collateral else "-", r["wall_s"]])
    table(f"faces_dev photos ({'first 40' if quick else 'all'}; shared face_protect.py)",
          ["tool", "images", "failed", "faces", "protected", "by size", "collateral", "vs deface", "wall s"], rows)


def bench_photo12mp(faces_dev: Path, shared: Path) -> None:
    from wardsafe.detect.face_regions import head_region
    from wardsafe.detect.faces import load_face_detector
    from wardsafe.media.image import read_image, write_image
    from wardsafe.redact.filters import hide_regions

    folder = make_12mp_photo(faces_dev)
    photo = folder / "photo12mp.jpg"
    detector = load_face_detector()
    steps: dict[str, list[float]] = {"read": [], "detect_photo": [], "hide": [], "write": [], "total": []}
    for _ in range(3):
        t0 = time.perf_counter()
        rgb = read_image(photo)
        t1 = time.perf_counter()
        faces = detector.detect_photo(rgb)
        t2 = time.perf_counter()
        hide_regions(rgb, [head_region(f.box, rgb.shape[1], rgb.shape[0]) for f in faces])
        t3 = time.perf_counter()
        write_image(rgb, OUT / "photo12mp_inprocess.jpg")
        t4 = time.perf_counter()
        for key, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
            steps[key].append(value)
    print("\n## 12-megapixel photo (4000x3000), in process, model loaded, median of 3 (s): "
          + ", ".join(f"{k} {statistics.median(v):.3f}" for k, v in steps.items()))
    rows = []
    for name, cmd in {"WardSafe": wardsafe_cmd(), "deface": deface_cmd([], video=False)}.items():
        out = OUT / "photo12mp_out" / name
        # One untimed run first, for each tool: the timed run then measures a machine that has run the
        # command before (libraries in the page cache), not the first start after the disk cache was cold.
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        warm = [str(out / "warm-up.jpg") if part == "{out}" else str(photo) if part == "{in}" else part for part in cmd]
        subprocess.run(warm, capture_output=True)
        shutil.rmtree(out, ignore_errors=True)
        r = run_json([sys.executable, str(shared / "tools" / "face_protect.py"), str(folder), str(out), "--", *cmd])
        if "error" in r:
            rows.append([name, "error"])
            continue
        sizes = " ".join(f"{k}:{v}" for k, v in r["by_size"].items())
        rows.append([name, r["faces"], f"{r['protected_rate']:.4f}", sizes, f"{r['collateral']:.5f}", r["wall_s"]])
    table("12-megapixel photo, end to end as a command (process start, model load, read, detect, hide, write; "
          "after one untimed run)",
          ["tool", "faces", "protected", "by size", "collateral", "wall s"], rows)


def video_collateral(clip: Path, output: Path, every: int = 5) -> float:
    """Share of pixels far from every true face that changed visibly (gray difference > 25), as the shared
    face_protect.py measures collateral on photos; on every ``every``-th frame."""
    import av

    truth = json.loads((clip / "truth.json").read_text())["boxes"]
    changed = total = 0
    with av.open(str(clip / "clip.mp4")) as source, av.open(str(output)) as result:
        frames = zip(source.decode(video=0), result.decode(video=0), strict=False)
        for index, (a, b) in enumerate(frames):
            if index % every:
                continue
            before = a.to_ndarray(format="gray").astype(np.int16)
            after = b.to_ndarray(format="gray").astype(np.int16)
            far = np.ones(before.shape, bool)
            for x, y, w, h in truth[index]:
                far[max(0, int(y - h * 0.5)) : int(y + h * 1.5), max(0, int(x - w * 0.5)) : int(x + w * 1.5)] = False
            changed += int((np.abs(before - after)[far] > 25).sum())
            total += int(far.sum())
    return changed / max(total, 1)


def bench_video(title: str, clip: Path, shared: Path, with_deface_default: bool) -> None:
    tools = {"WardSafe": wardsafe_cmd(), "deface 640x360": deface_cmd(DEFACE_MODES["deface 640x360"], video=True)}
    if with_deface_default:
        tools["deface"] = deface_cmd([], video=True)
    results = {}
    for name, cmd in tools.items():
        out = OUT / "videos" / f"{clip.name}_{name.replace(' ', '_')}.mp4"
        out.parent.mkdir(parents=True, exist_ok=True)
        results[name] = run_json([sys.executable, str(shared / "tools" / "video_protect.py"), str(clip), str(out),
                                  "--", *cmd])
        if "error" not in results[name]:
            results[name]["collateral"] = video_collateral(clip, out)
    ours = results["WardSafe"].get("fps", 0) or 0
    rows = []
    for name, r in results.items():
        if "error" in r:
            rows.append([name, "error: " + r["error"].strip().splitlines()[-1][:80] if r["error"].strip() else "error"])
            continue
        ratio = f"{ours / r['fps']:.2f}x" if name != "WardSafe" and r["fps"] else "-"
        rows.append([name, r["frames"], r["frames_out"], f"{r['protected_rate']:.4f}", r["frames_with_leak"],
                     f"{100 * r['frames_with_leak'] / max(r['frames'], 1):.1f}%", r["fps"], ratio, r["audio_kept"],
                     f"{r['collateral']:.4f}"])
    table(f"{title} (shared video_protect.py; collateral as face_protect.py defines it, every 5th frame)",
          ["tool", "frames", "out", "protected", "leak frames", "leak %", "frames/s", "WardSafe speed", "audio",
           "collateral"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="WardSafe vs deface face-redaction benchmark")
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared", help="the shared data/tools folder")
    parser.add_argument("--quick", action="store_true", help="40 photos, fewer frames, deface default only on photos")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    args = parser.parse_args()
    shared = args.shared.resolve()
    faces_dev = shared / "data" / "faces_dev"
    if not (faces_dev / "manifest.json").exists():
        sys.exit(f"error: {faces_dev} not found; pass --shared PATH (the folder with data/ and tools/)")
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        sys.exit(f"error: unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    from wardsafe.config import get_settings

    precision = get_settings().video_model_precision
    print(f"WardSafe face benchmark; shared data: {shared}; {'quick' if args.quick else 'full'} run; "
          f"video key frames: {precision} model (WARDSAFE_VIDEO_PRECISION)")
    if "detector" in sections or "clip" in sections:
        clip = make_clip(shared)
    if "detector" in sections:
        bench_detector(clip, args.quick)
    if "photos" in sections:
        bench_photos(faces_dev, shared, args.quick)
    if "photo12mp" in sections:
        bench_photo12mp(faces_dev, shared)
    if "clip" in sections:
        bench_video("720p make_clip clip, 300 frames", clip, shared, with_deface_default=not args.quick)
    if "panzoom" in sections:
        seconds = 4.0 if args.quick else 10.0
        panzoom = make_panzoom(shared, seconds)
        bench_video(f"pan/zoom over real group photos, {seconds:g} s", panzoom, shared, not args.quick)


if __name__ == "__main__":
    main()
