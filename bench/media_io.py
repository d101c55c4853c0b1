#!/usr/bin/env python3
"""Times WardSafe's photo I/O and probing on a 12-megapixel phone-like photo.

usage: .venv/bin/python bench/media_io.py [REPEATS]

Builds a 4000x3000 JPEG (the sample ward photo scaled up, with EXIF orientation 6, as a phone
held sideways writes it) in a temporary folder, then prints the median time of: probe,
read_image (decode + turn upright), write_image as JPEG, PNG and HEIC, and probe on the sample
clip (headers plus one decoded frame). No peer is timed:
these are the I/O costs inside the 12 MP budget of `wardsafe redact`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from PIL import Image

from wardsafe.media.image import read_image, write_image
from wardsafe.media.probe import probe


def _median_ms(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(repeats: int = 3) -> None:
    sample = resources.files("wardsafe.samples") / "ward_photo.jpg"
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "photo12mp.jpg"
        exif = Image.Exif()
        exif[0x0112] = 6
        with Image.open(sample) as image:
            image.convert("RGB").resize((4000, 3000), Image.BICUBIC).save(photo, quality=90, exif=exif)
        pixels = read_image(photo)
        rows = [
            ("probe", _median_ms(lambda: probe(photo), repeats)),
            ("read_image (JPEG, orientation 6)", _median_ms(lambda: read_image(photo), repeats)),
        ]
        for suffix in (".jpg", ".png", ".heic"):
            out = Path(folder) / f"out{suffix}"
            rows.append((f"write_image {suffix}", _median_ms(lambda out=out: write_image(pixels, out), repeats)))
        print(f"12 MP photo ({pixels.shape[1]}x{pixels.shape[0]} upright), median of {repeats}:")
        for name, ms in rows:
            print(f"  {name:<36} {ms:8.1f} ms")
    clip = resources.files("wardsafe.samples") / "ward_clip.mp4"
    print(f"  {'probe ward_clip.mp4 (640x360 H.264)':<36} {_median_ms(lambda: probe(clip), repeats):8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
