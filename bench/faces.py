"""Face-redaction benchmark: WardSafe against deface, measured in the same run, scored by the shared tools.

One command prints every figure issue 8 asks for, then a summary of its must-reach targets (pass/fail).

Sections (all by default; pick with --only):
  detector   detect() time and recall per input size and thread count, on frames of the 720p make_clip clip
  photos     faces_dev (214 real photos): protected-face rate and collateral (shared face_protect.py)
  photo12mp  one 12-megapixel photo composed from faces_dev: end-to-end time, in-process time, protection
  clip       the 720p make_clip clip (shared video_protect.py): protection, frames with a readable face, frames/s,
             beside decode + encode alone (shared io_ceiling.py) on the same clip, and the ratio to it
  panzoom    pans and zooms over real group photos (bench/make_panzoom.py), scored the same way
  clip1080   a 1080p crowd: make_clip.py OUT 150 1920 1080 20 70 16; WardSafe, deface (no --scale), io_ceiling
  clip4k     a 4K crowd: make_clip.py OUT 90 3840 2160 28 90 24; WardSafe and io_ceiling (deface only with
             --with-deface-4k: about 6 minutes)
  hard       the hard-faces set (bench/make_hard_faces.py: masks, goggles, low light, blur, ...), face_protect.py
             for WardSafe and deface, overall and per augmentation
  photo48mp  one 48-megapixel photo (8000x6000) of 80 faces_dev pictures tiled (scored faces 12-60 px): end-to-end
             time and peak memory (max resident set size of the command) and protection, WardSafe and deface
  plan       the 720p clip and the pan/zoom clip: the shared keep_check.py (--plan, then --keep the most-seen
             person: kept face intact, others hidden), and from its plan (WORK/plan.plan.json) the people offered
             (its "people" list; "tracks" if it has none) against the true people (distinct truth.json ids), with
             how many true people were offered, offered twice, or offered matching no one

The summary lists each must-reach target of issue 8 with WardSafe's figure and pass/FAIL ("not run" for sections
left out). "Every other face hidden" when keeping one person is read strictly: no frame with another face readable.

Peers: deface 1.5.0 by default and with ``--scale 640x360`` (``--keep-audio`` on videos).
WardSafe: ``wardsafe redact IN -o OUT``. Generated inputs go under bench/out/ (never committed) and are reused.

Flags:
  --quick             small inputs to check the code paths (90-frame 720p clip, 20-frame 1080p, 10-frame 4K,
                      40 photos, hard set with 2 photos per augmentation, a 4000x3000 tiled photo, no deface on
                      1080p/4K); its figures are not the targets' inputs, so its summary is indicative only
  --with-deface-4k    also run deface on the 4K clip (about 6 minutes)
  --skip-deface-48mp  do not run deface on the 48 MP photo (37 s and 9 GB when measured)
  --hard-per-type N   hard set: faces_dev photos per augmentation (default 30: 12 x 30 photos, each tool starts
                      once per photo, about 2 s each on 2 busy cores, so about 12 minutes per tool)

usage: .venv/bin/python bench/faces.py [--quick] [--shared ../shared] [--only clip,plan,...]
                                       [--with-deface-4k] [--skip-deface-48mp] [--hard-per-type N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
OUT = REPO / "bench" / "out"
SECTIONS = ("detector", "photos", "photo12mp", "clip", "panzoom", "clip1080", "clip4k", "hard", "photo48mp", "plan")
DEFACE_MODES = {"deface": [], "deface 640x360": ["--scale", "640x360"]}
# make_clip.py arguments (FRAMES W H MIN_FACE MAX_FACE PEOPLE) of each clip: full run, --quick run
CLIPS = {
    "clip720": (["300"], ["90"]),
    "clip1080": (["150", "1920", "1080", "20", "70", "16"], ["20", "1920", "1080", "20", "70", "16"]),
    "clip4k": (["90", "3840", "2160", "28", "90", "24"], ["10", "3840", "2160", "28", "90", "24"]),
}
# Runs a command, then prints its wall time and the largest resident set size of its process tree
# (ru_maxrss of RUSAGE_CHILDREN: this wrapper's only children are the command and what it starts).
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
error = proc.stderr[-300:] if proc.returncode else ""
print(json.dumps({"rc": proc.returncode, "wall_s": round(wall, 2), "error": error,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""

# Section results for the summary: section -> figure -> value (None when it could not be measured).
MEASURED: dict[str, dict[str, float | None]] = {}


def wardsafe_cmd() -> list[str]:
    return [str(VENV_BIN / "wardsafe"), "redact", "{in}", "-o", "{out}", "--quiet"]


def deface_cmd(extra: list[str], video: bool) -> list[str]:
    return [str(VENV_BIN / "deface"), "{in}", "-o", "{out}", *extra, *(["--keep-audio"] if video else [])]


def substitute(cmd: list[str], src: Path, out: Path) -> list[str]:
    return [part.replace("{in}", str(src)).replace("{out}", str(out)) for part in cmd]


def run_json(cmd: list[str]) -> dict:
    """Runs a scorer and returns the JSON object on its last output line."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout)[-400:]}
    return json.loads(lines[-1])


def error_cell(result: dict) -> str:
    text = str(result.get("error", "")).strip()
    return "error: " + text.splitlines()[-1][:100] if text else "error"


def shared_tool(shared: Path, name: str) -> ModuleType:
    """Imports one of the shared scorers (to reuse its face test, never to change it)."""
    spec = importlib.util.spec_from_file_location(name, shared / "tools" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(title: str, header: list[str], rows: list[list[object]]) -> None:
    """Prints a plain aligned table; a shorter row (a tool and its error) does not widen the columns."""
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells if len(row) == len(header) or i == 0) for i in range(len(header))]
    print(f"\n## {title}")
    for k, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
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


def make_tiled_photo(faces_dev: Path, width: int, height: int, cols: int, rows: int) -> Path:
    """A ``width`` x ``height`` JPEG of ``cols`` x ``rows`` faces_dev pictures, one per cell, each scaled so
    that its largest face is 24-60 px (or less, where the picture must shrink to fit its cell); centred on grey.
    Boxes are all kept in the manifest; the shared scorer counts those of min side >= 12 px (so: 12-60 px)."""
    name = f"photo{width}x{height}"
    folder = OUT / name
    if (folder / "manifest.json").exists():
        return folder
    from PIL import Image

    rng = random.Random(48)
    entries = [m for m in json.loads((faces_dev / "manifest.json").read_text()) if m["boxes"]]
    step = max(1, len(entries) // (cols * rows))
    picked = entries[::step][: cols * rows]
    canvas = Image.new("RGB", (width, height), (90, 90, 90))
    cell_w, cell_h = width // cols, height // rows
    boxes: list[list[int]] = []
    for k, entry in enumerate(picked):
        photo = Image.open(faces_dev / entry["image"]).convert("RGB")
        largest = max(max(b[2], b[3]) for b in entry["boxes"])
        scale = min(cell_w / photo.width, cell_h / photo.height, rng.uniform(24, 60) / largest)
        w, h = max(1, round(photo.width * scale)), max(1, round(photo.height * scale))
        x = (k % cols) * cell_w + (cell_w - w) // 2
        y = (k // cols) * cell_h + (cell_h - h) // 2
        canvas.paste(photo.resize((w, h), Image.LANCZOS), (x, y))
        for bx, by, bw, bh in entry["boxes"]:
            box = [round(x + bx * scale), round(y + by * scale), round(bw * scale), round(bh * scale)]
            if box[2] >= 1 and box[3] >= 1:
                boxes.append(box)
    folder.mkdir(parents=True, exist_ok=True)
    canvas.save(folder / f"{name}.jpg", quality=92)
    (folder / "manifest.json").write_text(json.dumps([{"image": f"{name}.jpg", "boxes": boxes}]))
    return folder


def make_clip(shared: Path, name: str, quick: bool) -> Path:
    """A make_clip.py clip (see CLIPS), generated once under bench/out/ and reused."""
    args = CLIPS[name][1 if quick else 0]
    folder = OUT / (f"{name}_{args[0]}f" if quick else name)
    if not (folder / "truth.json").exists():
        print(f"(generating {folder.relative_to(REPO)}: make_clip.py {' '.join(args)})", flush=True)
        subprocess.run([sys.executable, str(shared / "tools" / "make_clip.py"), str(folder), *args], check=True)
    return folder


def make_panzoom(shared: Path, seconds: float) -> Path:
    folder = OUT / f"panzoom_{seconds:g}s"
    if not (folder / "truth.json").exists():
        cmd = [sys.executable, str(REPO / "bench" / "make_panzoom.py"), str(folder), "--shared", str(shared),
               "--seconds", str(seconds)]
        subprocess.run(cmd, check=True)
    return folder


def make_hard_set(shared: Path, per_type: int) -> Path:
    """bench/make_hard_faces.py's set under bench/out/, rebuilt when that script is newer than the set."""
    folder = OUT / f"hard_faces_{per_type}"
    script = REPO / "bench" / "make_hard_faces.py"
    manifest = folder / "manifest.json"
    if not manifest.exists() or manifest.stat().st_mtime < script.stat().st_mtime:
        shutil.rmtree(folder, ignore_errors=True)
        cmd = [sys.executable, str(script), str(folder), "--shared", str(shared), "--per-type", str(per_type)]
        subprocess.run(cmd, check=True)
    return folder


def truth_people(clip: Path) -> int:
    """Distinct people (truth.json ``ids``) seen in a clip."""
    return len({i for frame in json.loads((clip / "truth.json").read_text())["ids"] for i in frame})


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


def score_photos(source: Path, tools: dict[str, list[str]], shared: Path, group: str) -> dict[str, dict]:
    """Runs each tool on every photo of ``source`` through the shared face_protect.py."""
    results = {}
    for name, cmd in tools.items():
        out = OUT / group / name.replace(" ", "_")
        shutil.rmtree(out, ignore_errors=True)
        scorer = [sys.executable, str(shared / "tools" / "face_protect.py"), str(source), str(out), "--", *cmd]
        results[name] = run_json(scorer)
        results[name]["out"] = out
    return results


def photo_rows(results: dict[str, dict]) -> list[list[object]]:
    deface_collateral = results.get("deface", {}).get("collateral")
    rows: list[list[object]] = []
    for name, r in results.items():
        if "protected_rate" not in r:
            rows.append([name, error_cell(r)])
            continue
        versus = f"{r['collateral'] / deface_collateral:.2f}x" if deface_collateral else "-"
        rows.append([name, r["images"], r["failed_runs"], r["faces"], f"{r['protected_rate']:.4f}",
                     " ".join(f"{k}:{v}" for k, v in r["by_size"].items()), f"{r['collateral']:.5f}", versus,
                     r["wall_s"]])
    return rows


PHOTO_HEADER = ["tool", "images", "failed", "faces", "protected", "by size", "collateral", "vs deface", "wall s"]


def bench_photos(faces_dev: Path, shared: Path, quick: bool) -> None:
    source = subset_manifest(faces_dev, 40) if quick else faces_dev
    tools = {"WardSafe": wardsafe_cmd(), "deface": deface_cmd([], video=False)}
    if not quick:
        tools["deface 640x360"] = deface_cmd(DEFACE_MODES["deface 640x360"], video=False)
    results = score_photos(source, tools, shared, "photos")
    table(f"faces_dev photos ({'first 40' if quick else 'all'}; shared face_protect.py)", PHOTO_HEADER,
          photo_rows(results))
    MEASURED["photos"] = {"protected": results["WardSafe"].get("protected_rate")}


def protected_by_group(shared: Path, source: Path, out: Path, key: str) -> dict[str, list[int]]:
    """[protected, faces] per value of the manifest's ``key``, with face_protect.py's own test (its destroyed()
    and minimum side) on the outputs it already scored; a missing output protects nothing, as there."""
    from PIL import Image

    scorer = shared_tool(shared, "face_protect")
    groups: dict[str, list[int]] = {}
    for entry in json.loads((source / "manifest.json").read_text()):
        a = np.asarray(Image.open(source / entry["image"]).convert("L"), dtype=np.float32)
        output = out / entry["image"]
        b = np.asarray(Image.open(output).convert("L"), dtype=np.float32) if output.exists() else a
        if b.shape != a.shape:
            b = a
        counts = groups.setdefault(str(entry.get(key, "-")), [0, 0])
        for x, y, w, h in entry["boxes"]:
            if min(w, h) < scorer.MIN_SIDE:
                continue
            counts[0] += scorer.destroyed(a[y : y + h, x : x + w], b[y : y + h, x : x + w])
            counts[1] += 1
    return groups


def bench_hard(shared: Path, per_type: int) -> None:
    source = make_hard_set(shared, per_type)
    tools = {"WardSafe": wardsafe_cmd(), "deface": deface_cmd([], video=False)}
    results = score_photos(source, tools, shared, "hard")
    table(f"hard faces (bench/make_hard_faces.py, {per_type} photos per augmentation; shared face_protect.py)",
          PHOTO_HEADER, photo_rows(results))
    MEASURED["hard"] = {"protected": results["WardSafe"].get("protected_rate")}
    by_aug = {name: protected_by_group(shared, source, r["out"], "aug") for name, r in results.items()
              if "protected_rate" in r}
    if not by_aug:
        return
    augs = list(next(iter(by_aug.values())))
    rows = [[aug, next(iter(by_aug.values()))[aug][1],
             *(f"{g[aug][0] / max(g[aug][1], 1):.3f} ({g[aug][0]})" for g in by_aug.values())] for aug in augs]
    # the per-augmentation counts must add up to the scorer's own totals
    rows.append(["all", sum(g[1] for g in next(iter(by_aug.values())).values()),
                 *(f"{sum(v[0] for v in g.values())} (scorer: {results[name]['protected']})"
                   for name, g in by_aug.items())])
    table("hard faces by augmentation: protected rate (faces protected)", ["augmentation", "faces", *by_aug], rows)


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
            # a tool that pads the frame (deface writes 1080p as 1088 rows) is compared on the input's area
            h, w = min(before.shape[0], after.shape[0]), min(before.shape[1], after.shape[1])
            before, after = before[:h, :w], after[:h, :w]
            far = np.ones(before.shape, bool)
            for x, y, w, h in truth[index]:
                far[max(0, int(y - h * 0.5)) : int(y + h * 1.5), max(0, int(x - w * 0.5)) : int(x + w * 1.5)] = False
            changed += int((np.abs(before - after)[far] > 25).sum())
            total += int(far.sum())
    return changed / max(total, 1)


def bench_video(title: str, clip: Path, shared: Path, tools: dict[str, list[str]], key: str) -> None:
    """Scores each tool on a clip with video_protect.py, beside decode + encode alone (io_ceiling.py) on the
    same clip in the same run; records WardSafe's figures under ``key`` for the summary."""
    videos = OUT / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    io = run_json([sys.executable, str(shared / "tools" / "io_ceiling.py"), str(clip / "clip.mp4"),
                   str(videos / f"{clip.name}_io.mp4")])
    io_fps = io.get("fps") or 0
    results = {}
    for name, cmd in tools.items():
        out = videos / f"{clip.name}_{name.replace(' ', '_')}.mp4"
        results[name] = run_json([sys.executable, str(shared / "tools" / "video_protect.py"), str(clip), str(out),
                                  "--", *cmd])
        if "protected_rate" in results[name]:
            results[name]["collateral"] = video_collateral(clip, out)
    ours = results["WardSafe"].get("fps") or 0
    rows: list[list[object]] = []
    if io_fps:
        rows.append(["decode+encode only (io_ceiling.py)", io.get("frames", "-"), "", "", "", "", io_fps, "1.00", "",
                     "", ""])
    else:
        rows.append(["decode+encode only (io_ceiling.py)", error_cell(io)])
    for name, r in results.items():
        if "protected_rate" not in r:
            rows.append([name, error_cell(r)])
            continue
        to_io = f"{r['fps'] / io_fps:.2f}" if io_fps else "-"
        ratio = f"{ours / r['fps']:.2f}x" if name != "WardSafe" and r["fps"] else "-"
        rows.append([name, r["frames"], r["frames_out"], f"{r['protected_rate']:.4f}", r["frames_with_leak"],
                     f"{100 * r['frames_with_leak'] / max(r['frames'], 1):.1f}%", r["fps"], to_io, ratio,
                     r["audio_kept"], f"{r['collateral']:.4f}"])
    table(f"{title} (shared video_protect.py; io_ceiling.py on the same clip; collateral as face_protect.py "
          "defines it, every 5th frame)",
          ["tool", "frames", "out", "protected", "leak frames", "leak %", "frames/s", "÷ io frames/s",
           "WardSafe speed", "audio", "collateral"], rows)
    ws = results["WardSafe"]
    ok = "protected_rate" in ws
    MEASURED[key] = {
        "protected": ws["protected_rate"] if ok else None,
        "leak_share": ws["frames_with_leak"] / max(ws["frames"], 1) if ok else None,
        "fps": ws["fps"] if ok else None,
        "io_ratio": ws["fps"] / io_fps if ok and io_fps else None,
    }


def video_tools(deface_modes: list[str]) -> dict[str, list[str]]:
    return {"WardSafe": wardsafe_cmd(), **{m: deface_cmd(DEFACE_MODES[m], video=True) for m in deface_modes}}


def measured_run(cmd: list[str]) -> dict:
    """Runs ``cmd`` under MEASURE: {"rc", "wall_s", "maxrss_kb", "error"}."""
    return run_json([sys.executable, "-c", MEASURE, *cmd])


def bench_photo48mp(faces_dev: Path, shared: Path, quick: bool, skip_deface: bool) -> None:
    """End-to-end time and peak memory of each tool on one large tiled photo (after one untimed run on a small
    photo, so that libraries are in the page cache), then face_protect.py scores the output already written."""
    width, height, cols, rows_ = (4000, 3000, 5, 4) if quick else (8000, 6000, 10, 8)
    folder = make_tiled_photo(faces_dev, width, height, cols, rows_)
    photo = folder / f"photo{width}x{height}.jpg"
    boxes = json.loads((folder / "manifest.json").read_text())[0]["boxes"]
    scored = [b for b in boxes if min(b[2], b[3]) >= 12]
    sides = [min(b[2], b[3]) for b in scored] or [0]
    small = next(p for p in sorted(faces_dev.glob("*.png")) + sorted(faces_dev.glob("*.jpg")))
    tools = {"WardSafe": wardsafe_cmd()}
    if not skip_deface:
        tools["deface"] = deface_cmd([], video=False)
    rows: list[list[object]] = []
    for name, cmd in tools.items():
        out = OUT / "photo48mp_out" / f"{width}x{height}_{name}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        subprocess.run(substitute(cmd, small, out / f"warm-up{small.suffix}"), capture_output=True)
        (out / f"warm-up{small.suffix}").unlink(missing_ok=True)
        for extra in out.iterdir():  # a report written beside the warm-up output
            extra.unlink()
        run = measured_run(substitute(cmd, photo, out / photo.name))
        # face_protect.py skips inputs whose output exists: it scores the timed run's output ("true" runs
        # nothing, so a missing output counts as a failed run that protects nothing)
        score = run_json([sys.executable, str(shared / "tools" / "face_protect.py"), str(folder), str(out), "--",
                          "true"])
        if run.get("rc", 1) or "protected_rate" not in score:
            rows.append([name, error_cell(run if run.get("rc", 1) else score)])
            if name == "WardSafe":
                MEASURED["photo48mp"] = {"protected": None, "wall_s": None, "peak_gb": None}
            continue
        peak_gb = run["maxrss_kb"] * 1024 / 1e9
        rows.append([name, score["faces"], f"{score['protected_rate']:.4f}",
                     " ".join(f"{k}:{v}" for k, v in score["by_size"].items()), f"{score['collateral']:.5f}",
                     run["wall_s"], f"{peak_gb:.2f}"])
        if name == "WardSafe":
            MEASURED["photo48mp"] = {"protected": score["protected_rate"], "wall_s": run["wall_s"], "peak_gb": peak_gb}
    note = "" if not skip_deface else "; deface skipped (--skip-deface-48mp)"
    table(f"{width * height / 1e6:.0f}-megapixel photo ({width}x{height}, {cols * rows_} faces_dev pictures tiled, "
          f"{len(scored)} scored faces {min(sides)}-{max(sides)} px): end to end as a command after one untimed run "
          f"on a small photo; peak = max resident set size (GB = 1e9 bytes){note}",
          ["tool", "faces", "protected", "by size", "collateral", "wall s", "peak GB"], rows)


def match_people(plan_people: list[dict], clip: Path, keep_check: ModuleType) -> dict[int, int | None]:
    """Which true person (truth.json id) each offered person is, by keep_check.py's rule: at least half of the
    offered person's boxes overlap that true face's box on the same frame with IoU >= 0.3 (None: no one)."""
    truth = json.loads((clip / "truth.json").read_text())
    matched: dict[int, int | None] = {}
    for person in plan_people:
        hits: dict[int, int] = {}
        for f, x0, y0, x1, y1 in person.get("boxes", []):
            frame = int(f)
            if frame >= len(truth["boxes"]):
                continue
            for (x, y, w, h), who in zip(truth["boxes"][frame], truth["ids"][frame], strict=True):
                if keep_check.iou((x, y, x + w, y + h), (x0, y0, x1, y1)) >= 0.3:
                    hits[who] = hits.get(who, 0) + 1
        best = max(hits, key=lambda who: hits[who], default=None)
        ok = best is not None and hits[best] >= 0.5 * len(person["boxes"])
        matched[person["id"]] = best if ok else None
    return matched


def bench_plan(clips: dict[str, Path], shared: Path) -> None:
    """People offered by --plan against the true people, then keep_check.py's keep-one-person score. The plan
    read is keep_check.py's own first step (``wardsafe redact CLIP -o WORK/plan.mp4 --plan``)."""
    plan_rows: list[list[object]] = []
    keep_rows: list[list[object]] = []
    keep_check = shared_tool(shared, "keep_check")
    for key, (label, clip) in clips.items():
        work = OUT / "keep" / clip.name
        shutil.rmtree(work, ignore_errors=True)
        start = time.perf_counter()
        kept = run_json([sys.executable, str(shared / "tools" / "keep_check.py"), str(clip), str(work), "--",
                         str(VENV_BIN / "wardsafe")])
        wall = time.perf_counter() - start
        true = truth_people(clip)
        plan_path = work / "plan.plan.json"
        ratio = None
        if plan_path.exists():
            plan = json.loads(plan_path.read_text())
            tracks = len(plan.get("tracks", []))
            if "people" in plan:
                offered, counted = len(plan["people"]), "people"
            else:
                offered, counted = tracks, "tracks (the plan has no 'people' list yet: counting tracks)"
            ratio = offered / max(true, 1)
            who = match_people(plan.get("people", plan.get("tracks", [])), clip, keep_check)
            found = [i for i in who.values() if i is not None]
            plan_rows.append([label, true, offered, tracks, f"{ratio:.2f}", len(set(found)),
                              len(found) - len(set(found)), sum(i is None for i in who.values()), counted])
        else:
            plan_rows.append([label, true, error_cell(kept)])
        MEASURED[f"plan_{key}"] = {"ratio": ratio}
        if "kept_face_intact_rate" in kept:
            keep_rows.append([label, kept["true_people"], kept["candidates"], kept["listed_as"],
                              " ".join(map(str, kept["ids_kept"])), f"{kept['kept_face_intact_rate']:.4f}",
                              f"{kept['others_protected_rate']:.4f}", kept["frames_with_other_leak"], f"{wall:.1f}"])
            MEASURED[f"keep_{key}"] = {"kept": kept["kept_face_intact_rate"],
                                       "others": kept["others_protected_rate"],
                                       "other_leak_frames": kept["frames_with_other_leak"]}
        else:
            keep_rows.append([label, error_cell(kept)])
            MEASURED[f"keep_{key}"] = {"kept": None, "others": None, "other_leak_frames": None}
    table("--plan: people offered against true people (distinct truth.json ids); an offered person is a true one "
          "when at least half its boxes overlap that face (IoU >= 0.3), keep_check.py's rule",
          ["clip", "true people", "offered", "tracks in plan", "offered / true", "true people offered",
           "extra offers of one person", "offers of no one", "counted"], plan_rows)
    table("keep one person (shared keep_check.py: --plan, then --keep the plan's people that are the most-seen "
          "true face)",
          ["clip", "true people", "offered", "listed as", "kept ids", "kept face intact", "others hidden",
           "frames with another face readable", "wall s (plan + keep + score)"], keep_rows)


# ---------------------------------------------------------------------------------------------- summary

# (target, figure, section, key, comparison, threshold, format)
TARGETS: list[tuple[str, str, str, str, str, float, str]] = [
    ("1080p crowd", "protected", "clip1080", "protected", ">=", 0.995, "{:.4f}"),
    ("1080p crowd", "frames with a readable face", "clip1080", "leak_share", "<=", 0.01, "{:.2%}"),
    ("1080p crowd", "frames/s", "clip1080", "fps", ">=", 15, "{:.1f}"),
    ("4K crowd", "protected", "clip4k", "protected", ">=", 0.98, "{:.4f}"),
    ("4K crowd", "frames with a readable face", "clip4k", "leak_share", "<=", 0.05, "{:.2%}"),
    ("4K crowd", "frames/s", "clip4k", "fps", ">=", 4, "{:.1f}"),
    ("720p clip", "protected", "clip", "protected", ">=", 0.995, "{:.4f}"),
    ("720p clip", "frames with a readable face", "clip", "leak_share", "<=", 0.01, "{:.2%}"),
    ("720p clip", "frames/s ÷ decode+encode frames/s", "clip", "io_ratio", ">=", 0.3, "{:.2f}"),
    ("faces_dev photos", "protected", "photos", "protected", ">=", 0.99, "{:.4f}"),
    ("hard set", "protected", "hard", "protected", ">=", 0.97, "{:.4f}"),
    ("48 MP photo", "protected", "photo48mp", "protected", ">=", 0.97, "{:.4f}"),
    ("48 MP photo", "end-to-end s", "photo48mp", "wall_s", "<=", 10, "{:.1f}"),
    ("48 MP photo", "peak memory GB", "photo48mp", "peak_gb", "<=", 2, "{:.2f}"),
    ("plan, 720p clip", "people offered ÷ true people", "plan_clip", "ratio", "<=", 1.3, "{:.2f}"),
    ("plan, pan/zoom clip", "people offered ÷ true people", "plan_panzoom", "ratio", "<=", 1.3, "{:.2f}"),
    ("keep, 720p clip", "kept face intact", "keep_clip", "kept", ">=", 0.95, "{:.4f}"),
    ("keep, 720p clip", "frames with another face readable", "keep_clip", "other_leak_frames", "<=", 0, "{:.0f}"),
    ("keep, pan/zoom clip", "kept face intact", "keep_panzoom", "kept", ">=", 0.95, "{:.4f}"),
    ("keep, pan/zoom clip", "frames with another face readable", "keep_panzoom", "other_leak_frames", "<=", 0,
     "{:.0f}"),
]


def summary(quick: bool) -> None:
    rows: list[list[object]] = []
    passed = failed = 0
    for target, figure, section, key, op, threshold, fmt in TARGETS:
        limit = f"{op} {fmt.format(threshold) if '%' in fmt else f'{threshold:g}'}"
        if section not in MEASURED:
            rows.append([target, figure, limit, "not run", "-"])
            continue
        value = MEASURED[section].get(key)
        if value is None:
            rows.append([target, figure, limit, "not measured (error)", "FAIL"])
            failed += 1
            continue
        ok = value >= threshold if op == ">=" else value <= threshold
        passed += ok
        failed += not ok
        rows.append([target, figure, limit, fmt.format(value), "pass" if ok else "FAIL"])
    title = f"issue 8 must-reach targets: {passed} pass, {failed} fail, {len(TARGETS) - passed - failed} not run"
    if quick:
        title += " (QUICK RUN: smaller inputs than the targets name; indicative only)"
    table(title, ["target", "figure", "must reach", "measured", "result"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="WardSafe vs deface face-redaction benchmark")
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared", help="the shared data/tools folder")
    parser.add_argument("--quick", action="store_true",
                        help="small inputs to check the code paths (short clips, 40 photos, small hard set, "
                             "a 12 MP tiled photo, no deface on 1080p/4K)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--with-deface-4k", action="store_true", help="also run deface on the 4K clip (~6 min)")
    parser.add_argument("--hard-per-type", type=int, default=30,
                        help="hard set: faces_dev photos per augmentation (12 augmentations; default 30)")
    parser.add_argument("--skip-deface-48mp", action="store_true", help="do not run deface on the 48 MP photo")
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
          f"video key frames: {precision} model (WARDSAFE_VIDEO_PRECISION); sections: {', '.join(sections)}")
    began = time.perf_counter()
    quick = args.quick
    if {"detector", "clip", "plan"} & set(sections):
        clip = make_clip(shared, "clip720", quick)
    if {"panzoom", "plan"} & set(sections):
        seconds = 4.0 if quick else 10.0
        panzoom = make_panzoom(shared, seconds)
    if "detector" in sections:
        bench_detector(clip, quick)
    if "photos" in sections:
        bench_photos(faces_dev, shared, quick)
    if "photo12mp" in sections:
        bench_photo12mp(faces_dev, shared)
    if "clip" in sections:
        frames = len(json.loads((clip / "truth.json").read_text())["boxes"])
        modes = ["deface 640x360"] if quick else ["deface 640x360", "deface"]
        bench_video(f"720p make_clip clip, {frames} frames", clip, shared, video_tools(modes), "clip")
    if "panzoom" in sections:
        modes = ["deface 640x360"] if quick else ["deface 640x360", "deface"]
        bench_video(f"pan/zoom over real group photos, {seconds:g} s", panzoom, shared, video_tools(modes), "panzoom")
    if "clip1080" in sections:
        clip1080 = make_clip(shared, "clip1080", quick)
        frames = len(json.loads((clip1080 / "truth.json").read_text())["boxes"])
        bench_video(f"1080p crowd (16 people, faces 20-70 px), {frames} frames"
                    + ("; quick: no deface" if quick else ""), clip1080, shared,
                    video_tools([] if quick else ["deface"]), "clip1080")
    if "clip4k" in sections:
        clip4k = make_clip(shared, "clip4k", quick)
        frames = len(json.loads((clip4k / "truth.json").read_text())["boxes"])
        with_deface = args.with_deface_4k and not quick
        bench_video(f"4K crowd (24 people, faces 28-90 px), {frames} frames"
                    + ("" if with_deface else "; deface only with --with-deface-4k"), clip4k, shared,
                    video_tools(["deface"] if with_deface else []), "clip4k")
    if "hard" in sections:
        bench_hard(shared, 2 if quick else args.hard_per_type)
    if "photo48mp" in sections:
        bench_photo48mp(faces_dev, shared, quick, args.skip_deface_48mp)
    if "plan" in sections:
        bench_plan({"clip": ("720p clip", clip), "panzoom": ("pan/zoom clip", panzoom)}, shared)
    summary(quick)
    print(f"\n(whole run: {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
