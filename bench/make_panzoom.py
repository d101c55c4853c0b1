"""Builds "real footage with camera motion": pans and zooms over real group photos from faces_dev.

Writes OUT_DIR/clip.mp4 (1280x720, 30 fps, H.264, with an AAC tone so that audio handling is tested)
and OUT_DIR/truth.json with every labelled face box moved with the camera, frame by frame, in the
format of the shared make_clip.py ({"fps", "size", "boxes": [[[x, y, w, h], ...] per frame], "ids": who
each box is}), so the shared video_protect.py and keep_check.py score it.

The camera moves like a hand-held phone: a slow zoom and pan across each photo with a little shake,
then a cut to the next photo.

usage: .venv/bin/python bench/make_panzoom.py OUT_DIR [--shared ../shared] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

WIDTH, HEIGHT, FPS = 1280, 720, 30
# Group photos with several labelled faces of different sizes (CC0, Kaggle "Face Mask Detection").
PHOTOS = ("maksssksksss556.jpg", "maksssksksss784.jpg", "maksssksksss672.jpg", "maksssksksss704.jpg")
# A box must show this much of itself inside the frame to count as a face (the scorer needs >= 12 px).
MIN_VISIBLE_SIDE = 12
MIN_VISIBLE_SHARE = 0.5


def _ease(t: float) -> float:
    """Smooth start and stop of a camera move (0..1 -> 0..1)."""
    return 0.5 - 0.5 * math.cos(math.pi * t)


def camera_windows(
    photo_w: int, photo_h: int, frames: int, rng: np.random.Generator
) -> list[tuple[float, float, float]]:
    """Per frame, the photo window the camera shows: (left, top, width); height is width * 9 / 16.

    The window zooms between the whole width and about half of it while it pans, with a small shake.
    """
    full = min(photo_w, photo_h * 16 / 9)
    zoom_from, zoom_to = (full, full * rng.uniform(0.45, 0.6))
    if rng.random() < 0.5:
        zoom_from, zoom_to = zoom_to, zoom_from
    start, end = rng.random(2), rng.random(2)  # relative pan positions
    phase = rng.uniform(0, 2 * math.pi, 2)
    windows = []
    for k in range(frames):
        t = _ease(k / max(frames - 1, 1))
        w = zoom_from + (zoom_to - zoom_from) * t
        h = w * 9 / 16
        rel = start + (end - start) * t
        shake = 0.012 * w * np.sin(2 * math.pi * np.array([0.9, 1.3]) * k / FPS + phase)
        left = float(np.clip(rel[0] * (photo_w - w) + shake[0], 0, photo_w - w))
        top = float(np.clip(rel[1] * (photo_h - h) + shake[1], 0, photo_h - h))
        windows.append((left, top, w))
    return windows


def visible_box(box: list[int], left: float, top: float, scale: float) -> list[int] | None:
    """A labelled face [x, y, w, h] as it appears in the frame, clipped; None when too little shows."""
    x, y, w, h = box
    x0, y0 = (x - left) * scale, (y - top) * scale
    x1, y1 = x0 + w * scale, y0 + h * scale
    cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(float(WIDTH), x1), min(float(HEIGHT), y1)
    if min(cx1 - cx0, cy1 - cy0) < MIN_VISIBLE_SIDE:
        return None
    if (cx1 - cx0) * (cy1 - cy0) < MIN_VISIBLE_SHARE * (x1 - x0) * (y1 - y0):
        return None
    return [int(cx0), int(cy0), int(cx1) - int(cx0), int(cy1) - int(cy0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    faces_dev = args.shared / "data" / "faces_dev"
    labels = {m["image"]: m["boxes"] for m in json.loads((faces_dev / "manifest.json").read_text())}
    rng = np.random.default_rng(args.seed)
    total = int(args.seconds * FPS)
    per_photo = [total // len(PHOTOS) + (1 if i < total % len(PHOTOS) else 0) for i in range(len(PHOTOS))]

    args.out_dir.mkdir(parents=True, exist_ok=True)
    truth: list[list[list[int]]] = []
    ids: list[list[int]] = []
    people: dict[tuple[str, int], int] = {}
    with av.open(str(args.out_dir / "clip.mp4"), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"crf": "18", "preset": "veryfast"}
        audio = container.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for name, frames in zip(PHOTOS, per_photo, strict=True):
            photo = np.asarray(Image.open(faces_dev / name).convert("RGB"))
            photo_h, photo_w = photo.shape[:2]
            for left, top, win_w in camera_windows(photo_w, photo_h, frames, rng):
                scale = WIDTH / win_w
                # photo -> frame: scale about the window's top-left corner (sub-pixel, like a real lens)
                matrix = np.array([[scale, 0, -left * scale], [0, scale, -top * scale]], np.float64)
                frame = cv2.warpAffine(photo, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_CUBIC,
                                       borderMode=cv2.BORDER_REFLECT)
                seen = [(n, visible_box(box, left, top, scale)) for n, box in enumerate(labels[name])]
                truth.append([b for _, b in seen if b])
                # who each box is: the same labelled face of the same photo is the same person
                ids.append([people.setdefault((name, n), len(people)) for n, b in seen if b])
                for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
        samples = int(48000 * total / FPS)
        tone = (0.2 * np.sin(2 * np.pi * 330 * np.arange(samples) / 48000)).astype(np.float32)
        for i in range(0, samples, 1024):
            chunk = av.AudioFrame.from_ndarray(tone[None, i : i + 1024], format="fltp", layout="mono")
            chunk.sample_rate = 48000
            for packet in audio.encode(chunk):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                container.mux(packet)
    truth_json = {"fps": FPS, "size": [WIDTH, HEIGHT], "boxes": truth, "ids": ids}
    (args.out_dir / "truth.json").write_text(json.dumps(truth_json))
    faces = sum(len(b) for b in truth)
    print(f"wrote {args.out_dir / 'clip.mp4'}: {len(truth)} frames, {faces} face appearances")


if __name__ == "__main__":
    main()
