"""Where a video redaction's CPU goes: CPU seconds per stage beside the whole process's.

usage: PYTHONPATH=src python bench/profile_video.py CLIP.mp4 OUT.mp4

Runs ``wardsafe redact CLIP -o OUT`` in this process with each stage wrapped to add up the CPU time of
the thread that runs it (``time.thread_time``: an ONNX session of one thread runs on its caller, so the
detection stages are complete; looking again uses a session of several threads, so it shows less than
it costs; libx264's own threads show only in the process total). On a shared machine compare CPU
seconds, not wall time.
"""

from __future__ import annotations

import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from wardsafe.cli import main as cli_main
from wardsafe.detect import face_regions
from wardsafe.media import video as media_video
from wardsafe.redact import follow, render, tracking

SPENT: defaultdict[str, float] = defaultdict(float)
CALLS: Counter[str] = Counter()


def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, adding the CPU time of its calling thread to ``SPENT[label]``."""
    def run(*args: Any, **kwargs: Any) -> Any:
        t0 = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[label] += time.thread_time() - t0
            CALLS[label] += 1
    return run


STAGES: list[tuple[Any, str, str]] = [
    (face_regions.FaceRegions, "find", "full-frame pass (detection thread)"),
    (face_regions.SmallFaces, "find", "band sweep (detection thread)"),
    (face_regions.FaceRegions, "look_again", "look again close up (main)"),
    (follow.Follower, "follow", "follower (main)"),
    (follow.Follower, "remember", "remember looks (main)"),
    (tracking.Tracker, "update", "tracker update (main)"),
    (tracking.Tracker, "missed", "tracker missed (main)"),
    (tracking.Tracker, "boxes_at", "tracker boxes_at (main)"),
    (render, "hide_shaped", "hide, per plane (hiding thread)"),
    (media_video.YuvFrame, "small_rgb", "key-frame RGB copies"),
    (media_video.VideoWriter, "write", "writer.write (encoding thread)"),
]


def main(clip: str, out: str) -> None:
    """Redacts ``clip`` into ``out`` and prints CPU seconds per stage."""
    for owner, name, label in STAGES:
        setattr(owner, name, timed(label, getattr(owner, name)))
    sys.argv = ["wardsafe", "redact", clip, "-o", out]
    started = time.perf_counter()
    try:
        cli_main()
    except SystemExit:
        pass
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"whole process: wall {wall:.2f} s, CPU {usage.ru_utime + usage.ru_stime:.2f} s "
          f"(user {usage.ru_utime:.2f}, sys {usage.ru_stime:.2f})")
    for label, seconds in sorted(SPENT.items(), key=lambda item: -item[1]):
        print(f"  {label:38s} {seconds:7.2f} s  {CALLS[label]} calls")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
