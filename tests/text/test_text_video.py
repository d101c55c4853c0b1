"""A camera panning across a monitor and a whiteboard: every identifier is hidden in every frame it shows in."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from bench_scenes import make_scene, write_pan_clip

pytestmark = pytest.mark.slow
WARDSAFE = Path(sys.executable).with_name("wardsafe")


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_identifier_hidden_in_every_frame(tmp_path: Path) -> None:
    scene = make_scene(2, 1200, 540, cards=("monitor", "whiteboard", "exit"))
    src, out = tmp_path / "pan.mp4", tmp_path / "pan.out.mp4"
    truth = write_pan_clip(str(src), scene, 960, 540, 30)
    done = subprocess.run([str(WARDSAFE), "redact", str(src), "-o", str(out), "-q"], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert done.returncode == 0, done.stderr
    before, after = frames(src), frames(out)
    assert len(after) == len(before) == 30
    shown = 0
    for n, (a, b, words) in enumerate(zip(before, after, truth, strict=True)):
        for w in words:
            if not w.identifier:
                continue
            shown += 1
            x0, y0, x1, y1 = w.box
            diff = np.abs(a[y0:y1, x0:x1].astype(int) - b[y0:y1, x0:x1].astype(int)).mean()
            assert diff > 3, f"{w.card} identifier readable on frame {n}"
    assert shown >= 30
    # The report says, per text track, what kind of identifier it was and when and where it was hidden.
    report = json.loads(out.with_name("pan.out.report.json").read_text())
    text = [t for t in report["tracks"] if t["kind"] == "text"]
    assert text and all(t["identifier_types"] and t["hidden_frames"] and t["boxes"] for t in text)
    assert all(t["first_time_s"] is not None and t["last_time_s"] >= t["first_time_s"] for t in text)
    assert {"NAME", "NHS_NUMBER"} <= set(report["summary"]["by_kind"]["text"]["identifier_types"])
    # every text in the report but the models' sha256 (numbers are coordinates and counts)
    said = " ".join(s for s in strings(report) if not re.fullmatch("[0-9a-f]{64}", s))
    assert not any(w.identifier and w.text.strip(",") in said for words in truth for w in words)


def strings(value: object) -> list[str]:
    """Every string (keys too) in a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []
