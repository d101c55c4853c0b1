"""A ``wardsafe redact`` run killed mid-way leaves a hidden partial file; the next run to that output removes it.

The run is real: a subprocess redacting a video long enough to be caught half-way, killed with SIGKILL, so
nothing in it can clean up. While it runs its partial is not stale; once killed it is, and the next run to the
same output must delete it and write a complete video. (Other files and live writers: tests/media/test_atomic.py.)
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from media.bad_inputs import CLIP
from wardsafe.media.atomic import stale_partials

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

LOOPS = 3  # 3 x 60 frames of the fixture clip: seconds of encoding to catch it in, yet a quick test


def looped_clip(path: Path, loops: int = LOOPS) -> int:
    """Writes the fixture clip ``loops`` times over as one H.264 video (faces included); returns its frame count."""
    with av.open(str(CLIP)) as src:
        stream = src.streams.video[0]
        rate, frames = stream.average_rate, [f.to_ndarray(format="rgb24") for f in src.decode(stream)]
    with av.open(str(path), "w") as dst:
        out = dst.add_stream("libx264", rate=rate, options={"preset": "ultrafast"})
        out.height, out.width = frames[0].shape[:2]
        out.pix_fmt = "yuv420p"
        for _ in range(loops):
            for pixels in frames:
                dst.mux(out.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        dst.mux(out.encode())
    return loops * len(frames)


def partials(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".partial" in p.name)


def frame_count(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def redact_command(src: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "wardsafe", "redact", str(src), "-o", str(out), "--quiet"]


def test_partial_left_by_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    src = tmp_path / "long.mp4"
    frames = looped_clip(src)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "long.mp4"

    run = subprocess.Popen(redact_command(src, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120  # a first run on a machine may build the int8 model first
        while not partials(folder):  # the encoder creates it with the first frames
            assert run.poll() is None, f"the run ended before it could be killed: {run.stderr.read()}"  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "no partial file appeared"
            time.sleep(0.02)
        assert stale_partials(out) == []  # a run still going: its partial is not stale
        run.send_signal(signal.SIGKILL)
    finally:
        run.kill()
        run.wait()
        run.stderr.close()  # type: ignore[union-attr]
    assert run.returncode == -signal.SIGKILL
    left = partials(folder)
    assert len(left) == 1 and left[0].name.startswith(".long.") and left[0].name.endswith(".partial.mp4")
    assert f".{run.pid}-" in left[0].name  # it names its (now dead) writer
    assert not out.exists()
    assert stale_partials(out) == left

    again = subprocess.run(redact_command(src, out), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert partials(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["long.mp4", "long.report.json"]
    assert frame_count(out) == frames
