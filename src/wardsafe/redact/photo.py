"""Redacts a photo: every detector searches it once, thoroughly; each find is hidden in its detector's shape."""

from __future__ import annotations

import time
from pathlib import Path

from wardsafe.detect.seam import Detectors, RgbFrame, merge_by_kind
from wardsafe.media.image import read_image, write_image
from wardsafe.redact.cuts import CUT_KIND, cut_regions
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.render import boxes_to_hide, hide_shaped, spare_kept
from wardsafe.redact.result import RedactionResult, Thumbnail
from wardsafe.redact.tracking import Observation, Track


def redact_photo(
    source: Path,
    target: Path | None,
    detectors: Detectors,
    options: RedactOptions,
    want_thumbnails: bool = False,
    keep: frozenset[int] = frozenset(),
    replay: list[Track] | None = None,
    others: frozenset[int] | None = None,
) -> RedactionResult:
    """Redacts ``source`` into ``target`` (or only lists what was found when ``target`` is None).

    Each find is a one-frame track, numbered by kind in the detectors' order, then left to right.
    Tracks whose ids are in ``keep`` stay visible (``others`` as for the video). With ``replay`` (the
    tracks of an earlier run on the same photo) the detectors do not run again.
    """
    started = time.perf_counter()
    frame = RgbFrame(read_image(source))
    timings: dict[str, float] = {}
    tracks = replay if replay is not None else _find(frame, detectors, timings)
    by_id = {t.id: t for t in tracks}
    result = RedactionResult(kind="photo", source=source, width=frame.width, height=frame.height, frames=1,
                             tracks=tracks)
    if want_thumbnails:
        result.thumbnails = {t.id: Thumbnail.of(frame, t.best.box, t.best.score) for t in tracks}
    boxes = boxes_to_hide([(t.id, t.best.box) for t in tracks], keep, by_id.__getitem__, detectors, others)
    regions = []
    for tid, box in boxes:
        detector = detectors.of_kind(by_id[tid].kind)
        result.frames_hidden[detector.kind] = 1
        # a rotated word: the pieces that hug it, not its whole upright box
        for part in by_id[tid].best.parts or (box,):
            regions.append((detector.region(part, frame.width, frame.height), detector.shape))
    blackout = cut_regions(options.cuts, None, frame.width, frame.height)
    if blackout:
        result.frames_hidden[CUT_KIND] = 1
    if target is not None:
        restore, again = spare_kept([t.best.box for t in tracks if t.id in keep], boxes, frame.width, frame.height,
                                   by_id.__getitem__)
        hide_shaped(frame.rgb, regions, options.filter, restore=restore, again=again)
        for x0, y0, x1, y1 in blackout:  # parts cut on request, over everything
            frame.rgb[y0:y1, x0:x1] = 0
        write_image(frame.rgb, target)
    result.timings = {"total_s": time.perf_counter() - started, **timings}
    return result


def _find(frame: RgbFrame, detectors: Detectors, timings: dict[str, float]) -> list[Track]:
    """Every detector's finds on the photo, as one-frame tracks (timed per kind into ``timings``)."""
    found = []
    for detector in detectors:
        t0 = time.perf_counter()
        found.append((detector, detector.find(frame)))
        key = f"detect_{detector.kind}_s"
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0
    tracks: list[Track] = []
    for kind, detections in merge_by_kind(found).items():
        tracks += [Track(id=len(tracks) + n + 1, observations=[Observation(0, d.box, d.score, d.label, d.parts)],
                         kind=kind) for n, d in enumerate(sorted(detections, key=lambda d: (d.box[0], d.box[1])))]
    return tracks
