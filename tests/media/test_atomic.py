"""atomic_output: the output is the complete new file or nothing, whatever goes wrong."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from wardsafe.errors import InputError, RedactionError
from wardsafe.media.atomic import (
    UNVERIFIABLE_STALE_AFTER_S,
    atomic_output,
    remove_stale_partials,
    stale_partials,
    temp_path_for,
)
from wardsafe.media.image import read_image, write_image


def test_success_moves_the_file_into_place(tmp_path: Path) -> None:
    target = tmp_path / "out.jpg"
    with atomic_output(target) as temp:
        assert temp.parent == tmp_path and temp.suffix == ".jpg" and temp.name.startswith(".")
        assert temp != target and not target.exists()
        write_image(np.full((8, 8, 3), 200, np.uint8), temp)  # the encoder picks JPEG from the suffix
    assert read_image(target).shape == (8, 8, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jpg"]


@pytest.mark.parametrize("error", [RuntimeError("encoder died"), KeyboardInterrupt(), RedactionError("frame 12")])
def test_failure_leaves_nothing(tmp_path: Path, error: BaseException) -> None:
    target = tmp_path / "out.mp4"
    with pytest.raises(type(error)):
        with atomic_output(target) as temp:
            temp.write_bytes(b"half of a video")
            raise error
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_an_existing_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"previous result")
    with pytest.raises(ValueError):
        with atomic_output(target) as temp:
            temp.write_bytes(b"partial")
            raise ValueError("boom")
    assert target.read_bytes() == b"previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_success_replaces_an_existing_output(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    with atomic_output(target) as temp:
        temp.write_bytes(b"new")
    assert target.read_bytes() == b"new"


def test_failure_before_anything_was_written(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with atomic_output(tmp_path / "out.jpg"):
            raise RuntimeError("failed before encoding")
    assert list(tmp_path.iterdir()) == []


def test_block_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RedactionError, match="no output"):
        with atomic_output(tmp_path / "out.jpg"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_temp_names_are_unique(tmp_path: Path) -> None:
    with atomic_output(tmp_path / "a.mp4") as first, atomic_output(tmp_path / "a.mp4") as second:
        assert first != second
        first.write_bytes(b"1")
        second.write_bytes(b"2")
    assert (tmp_path / "a.mp4").read_bytes() == b"1"  # the outer block finished last


def test_missing_folder_and_folder_target(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        with atomic_output(tmp_path / "nowhere" / "out.jpg"):
            pass
    with pytest.raises(InputError, match="is a folder"):
        with atomic_output(tmp_path):
            pass


# ---- partial files a killed run left behind ------------------------------------------------------------------
# A writer is a real process that names and writes a partial through temp_path_for, as a redact run does.

_WRITER = """
import sys, time
from pathlib import Path
from wardsafe.media.atomic import temp_path_for
temp = temp_path_for(Path(sys.argv[1]))
temp.write_bytes(b"half of a video")
print(temp.name, flush=True)
if sys.argv[2] == "live":
    time.sleep(120)
"""


def _dead_writer_partial(target: Path) -> Path:
    """A partial of ``target`` written by a process that has since exited (as if killed)."""
    run = subprocess.run([sys.executable, "-c", _WRITER, str(target), "dead"], capture_output=True, text=True,
                         check=True, timeout=60)
    return target.with_name(run.stdout.strip())


@pytest.fixture
def live_writer(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A process still writing a partial of ``tmp_path/out.mp4``, and that partial."""
    target = tmp_path / "out.mp4"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), "live"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc, target.with_name(proc.stdout.readline().strip())
    finally:
        proc.kill()
        proc.wait()


def _retag(partial: Path, **fields: str) -> Path:
    """``partial``'s name with some writer fields (pid, start, host, boot) replaced."""
    pid, start, host, boot = partial.name.split(".")[2].split("-")
    tag = "-".join(fields.get(k, v) for k, v in (("pid", pid), ("start", start), ("host", host), ("boot", boot)))
    return partial.with_name(partial.name.replace(f".{pid}-{start}-{host}-{boot}.", f".{tag}."))


def _other(hex6: str) -> str:
    return f"{(int(hex6, 16) + 1) % 0x1000000:06x}"


def test_temp_name_records_the_writer(tmp_path: Path) -> None:
    temp = temp_path_for(tmp_path / "out.mp4")
    assert temp.name.startswith(f".out.{os.getpid()}-") and temp.name.endswith(".partial.mp4")


def test_a_killed_runs_partial_is_removed_a_live_ones_kept(
    tmp_path: Path, live_writer: tuple[subprocess.Popen[str], Path]
) -> None:
    proc, live_partial = live_writer
    target = tmp_path / "out.mp4"
    dead_partial = _dead_writer_partial(target)
    assert live_partial.is_file() and dead_partial.is_file() and live_partial != dead_partial
    with atomic_output(target) as temp:
        temp.write_bytes(b"complete")
    assert not dead_partial.exists()
    assert live_partial.read_bytes() == b"half of a video"  # its writer may still finish it
    assert target.read_bytes() == b"complete"
    proc.kill()
    proc.wait()
    assert remove_stale_partials(target) == [live_partial]  # once its writer is gone, it is stale too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_nothing_but_stale_partials_of_the_output_is_touched(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    dead = _dead_writer_partial(target)
    tag = dead.name.split(".")[2]
    elsewhere = tmp_path.parent / f"{tmp_path.name}-victim.mp4"
    elsewhere.write_bytes(b"someone else's file")
    keep = {
        "out.mp4": b"previous result",
        "out.report.json": b"{}",
        ".out.mp4": b"a hidden copy",
        ".out.partial.mp4": b"no writer in the name",
        ".out.notes.partial.mp4": b"not our pattern",
        f".out.x.{tag}.0badcafe.partial.mp4": b"the partial of out.x.mp4, not of out.mp4",
        f".outtake.{tag}.0badcafe.partial.mp4": b"another output",
        f".other.{tag}.0badcafe.partial.mp4": b"another output",
        f".out.{tag}.0badcafe.partial.mov": b"another suffix, so another output",
        f"out.{tag}.0badcafe.partial.mp4": b"not hidden",
        f".out.{tag}.0badcafe.partial.mp4.bak": b"not ending in the suffix",
        f".out.{tag}.0badcafe.partial": b"no suffix",
    }
    for name, data in keep.items():
        (tmp_path / name).write_bytes(data)
    folder = tmp_path / f".out.{tag}.1badcafe.partial.mp4"  # a folder named like a partial
    folder.mkdir()
    (folder / "inside.txt").write_text("kept")
    link = tmp_path / f".out.{tag}.2badcafe.partial.mp4"  # a link named like a partial
    link.symlink_to(elsewhere)

    with atomic_output(target) as temp:
        temp.write_bytes(b"new result")

    assert not dead.exists()
    keep["out.mp4"] = b"new result"
    for name, data in keep.items():
        assert (tmp_path / name).read_bytes() == data, name
    assert (folder / "inside.txt").read_text() == "kept"
    assert link.is_symlink() and elsewhere.read_bytes() == b"someone else's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, folder.name, link.name])


def test_partials_whose_writer_cannot_be_checked_go_only_when_old(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    dead = _dead_writer_partial(target)
    host, boot = dead.name.split(".")[2].split("-")[2:]
    foreign = _retag(dead, host=_other(host))  # another machine or container: its PIDs are not ours
    legacy = target.with_name(".out.0123456789ab.partial.mp4")  # the older name, without a writer
    foreign_old = _retag(dead, host=_other(host), pid="8")
    legacy_old = target.with_name(".out.ba9876543210.partial.mp4")
    rebooted = _retag(dead, boot=_other(boot), pid=str(os.getpid()))  # this machine, an earlier boot
    odd_pid = _retag(dead, pid="9999999999")  # no PID this system can look up
    dead.unlink()
    for partial in (foreign, legacy, foreign_old, legacy_old, rebooted, odd_pid):
        partial.write_bytes(b"half")
    old = time.time() - UNVERIFIABLE_STALE_AFTER_S - 3600  # nobody has written to them for a day
    for partial in (foreign_old, legacy_old):
        os.utime(partial, (old, old))

    assert stale_partials(target) == sorted([foreign_old, legacy_old, rebooted])
    assert foreign.exists() and legacy.exists() and odd_pid.exists()  # written to just now: perhaps by a live run


def test_a_reused_pid_does_not_keep_a_partial(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    mine = temp_path_for(target)  # this process is alive: its partial stays
    mine.write_bytes(b"being written")
    start = mine.name.split(".")[2].split("-")[1]
    reused = _retag(mine, start=start + "0")  # same PID, another start time: the writer died, the PID moved on
    reused.write_bytes(b"left behind")
    assert stale_partials(target) == [reused]
    assert remove_stale_partials(target) == [reused]
    assert mine.exists()


def test_long_output_names_still_fit_and_find_their_partials(tmp_path: Path) -> None:
    target = tmp_path / ("é" * 110 + ".mp4")  # 224 bytes: the partial's stem is shortened
    temp = temp_path_for(target)
    assert len(temp.name.encode()) <= 255 and temp.name.endswith(".partial.mp4")
    dead = _dead_writer_partial(target)
    with atomic_output(target) as temp:
        temp.write_bytes(b"done")
    assert not dead.exists() and target.read_bytes() == b"done"
