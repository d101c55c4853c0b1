"""Parts cut on request (:class:`wardsafe.redact.options.Cut`): which pixels and which sound they black out."""

from __future__ import annotations

from collections.abc import Sequence

from wardsafe.detect.seam import Region, Span
from wardsafe.redact.options import Cut

CUT_KIND = "cut"  # the report counts frames with a cut under this kind


def cut_regions(cuts: Sequence[Cut], time_s: float | None, width: int, height: int) -> list[Region]:
    """Pixel rectangles to black out at ``time_s`` (None: a photo, where every cut's region applies)."""
    regions: list[Region] = []
    for cut in cuts:
        if time_s is not None and not cut.start_s <= time_s < cut.end_s:
            continue
        x0, y0, x1, y1 = cut.region or (0.0, 0.0, 1.0, 1.0)
        # rounded outwards: a requested region is never hidden short by a pixel
        region = (int(x0 * width), int(y0 * height), -int(-x1 * width), -int(-y1 * height))
        region = (max(0, region[0]), max(0, region[1]), min(width, region[2]), min(height, region[3]))
        if region[2] > region[0] and region[3] > region[1]:
            regions.append(region)
    return regions


def cut_spans(cuts: Sequence[Cut]) -> list[Span]:
    """Sound to silence: the time ranges of whole-picture cuts (a region cut leaves the sound)."""
    return [Span(cut.start_s, cut.end_s, CUT_KIND) for cut in cuts if cut.region is None]
