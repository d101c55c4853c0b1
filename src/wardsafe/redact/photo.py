"""Redacts a photo: find every face at several scales, hide each one's head."""

from __future__ import annotations

import time
from pathlib import Path

from wardsafe.detect.faces import DEFAULT_THRESHOLD, FaceBox, FaceDetector
from wardsafe.media.image import read_image, write_image
from wardsafe.redact.filters import hide_regions
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.regions import head_region
from wardsafe.redact.render import boxes_to_hide
from wardsafe.redact.result import RedactionResult, Thumbnail
from wardsafe.redact.tracking import Observation, Track


def redact_photo(
    source: Path, target: Path | None, detector: FaceDetector, options: RedactOptions, want_thumbnails: bool = False
) -> RedactionResult:
    """Redacts ``source`` into ``target`` (or only lists the faces when ``target`` is None).

    Each face is a one-frame track, numbered left to right, so ``--keep`` means the same on
    photos and videos.
    """
    started = time.perf_counter()
    rgb = read_image(source)
    height, width = rgb.shape[:2]
    t0 = time.perf_counter()
    threshold = DEFAULT_THRESHOLD if options.threshold is None else options.threshold
    faces = detector.detect_photo(rgb, threshold)
    detect_s = time.perf_counter() - t0
    faces.sort(key=lambda f: (f.x0, f.y0))
    tracks = [Track(id=i + 1, observations=[Observation(0, (f.x0, f.y0, f.x1, f.y1), f.score)])
              for i, f in enumerate(faces)]
    result = RedactionResult(kind="photo", source=source, width=width, height=height, frames=1, tracks=tracks,
                             threshold=threshold)
    if want_thumbnails:
        result.thumbnails = {t.id: Thumbnail.crop(rgb, t.best.box, t.best.score, 0) for t in tracks}
    boxes = boxes_to_hide([(t.id, t.best.box) for t in tracks], options.keep, tracks, DEFAULT_THRESHOLD)
    hidden = [head_region(FaceBox(*box, 1.0), width, height) for _, box in boxes]
    result.frames_with_hidden_faces = int(bool(hidden))
    if target is not None:
        hide_regions(rgb, hidden, options.filter)
        write_image(rgb, target)
    result.timings = {"total_s": time.perf_counter() - started, "detect_s": detect_s}
    return result
