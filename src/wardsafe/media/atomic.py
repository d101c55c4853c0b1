"""Write an output file all at once or not at all.

A job writes to a hidden sibling, ``.NAME.<pid>-<start>-<host>-<boot>.<random>.partial.EXT``, and
renames it onto ``NAME.EXT`` when complete. The name says which process writes it, so that a later
run to the same output can remove what a killed run (``kill -9``, power loss) left behind, and leave
alone what a run still going is writing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wardsafe.errors import InputError, RedactionError

log = logging.getLogger(__name__)

# A partial whose writer cannot be checked from here (another machine or container, a reboot we cannot
# tell from another machine, the older name without a writer) is removed only once nobody has written to
# it for this long: a live writer appends to its file all the time.
UNVERIFIABLE_STALE_AFTER_S = 24 * 3600

# The file name limit of the common file systems, in bytes, and the most a partial's name adds to the
# stem besides the suffix: ".<pid: 10>-<start: 13>-<6>-<6>.<8>.partial".
_NAME_MAX = 255
_ADDED_MAX = 56

# <pid>-<start>-<host>-<boot>.<random>.partial  (start: the process's start time in clock ticks after
# boot, base 36, "0" where unknown; host and boot: 6 hex digits each)
_WRITER_PART = re.compile(
    r"(?P<pid>[0-9]{1,10})-(?P<start>[0-9a-z]{1,13})-(?P<host>[0-9a-f]{6})-(?P<boot>[0-9a-f]{6})\.[0-9a-f]{8}\.partial"
)
# The name this module used before it recorded the writer: .NAME.<12 hex>.partial.EXT
_LEGACY_PART = re.compile(r"[0-9a-f]{12}\.partial")


@dataclass(frozen=True)
class Writer:
    """The process that writes a partial file, as recorded in its name."""

    pid: int
    start: str  # start time after boot in clock ticks, base 36; "0" where the system does not say
    host: str  # this machine and PID namespace (a PID means nothing outside them)
    boot: str  # this boot of the machine (every process of an earlier boot is gone)

    @classmethod
    def current(cls) -> Writer:
        """This process (computed on each call: a forked child has a PID of its own)."""
        pid = os.getpid()
        host, boot = _machine()
        return cls(pid, _start_time(pid) or "0", host, boot)

    def tag(self) -> str:
        """The writer's part of a partial file name."""
        return f"{self.pid}-{self.start}-{self.host}-{self.boot}"


def temp_path_for(path: Path) -> Path:
    """A hidden, unique sibling of ``path`` naming this process; it keeps the suffix, so encoders pick the format."""
    name = f"{_partial_prefix(path)}.{Writer.current().tag()}.{secrets.token_hex(4)}.partial{path.suffix}"
    return path.with_name(name)


def stale_partials(path: Path) -> list[Path]:
    """Partial files of ``path`` whose writer is gone: they will never be finished.

    Only files named like a partial of exactly this output (same name, same suffix) are considered,
    never folders or links; a partial whose writer is alive, or cannot be checked and wrote recently,
    is not stale.
    """
    path = Path(path)
    prefix = _partial_prefix(path)
    found: list[Path] = []
    try:
        with os.scandir(path.parent) as scan:
            entries = list(scan)
    except OSError:
        return found
    here = Writer.current()
    now = time.time()
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix + ".") and name.endswith(path.suffix)):
            continue
        middle = name[len(prefix) + 1 : len(name) - len(path.suffix)]
        match = _WRITER_PART.fullmatch(middle)
        if match is None and _LEGACY_PART.fullmatch(middle) is None:
            continue  # not one of ours (e.g. ".NAME.copy.EXT" or a partial of another suffix)
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if match is not None:
                writer = Writer(int(match["pid"]), match["start"], match["host"], match["boot"])
                gone = _writer_gone(writer, here)
            else:
                gone = None
            if gone is None:  # cannot tell from here: go by whether anybody still writes to it
                gone = now - entry.stat(follow_symlinks=False).st_mtime > UNVERIFIABLE_STALE_AFTER_S
        except OSError:
            continue
        if gone:
            found.append(Path(entry.path))
    return sorted(found)


def remove_stale_partials(path: Path) -> list[Path]:
    """Delete the stale partial files of ``path`` (see :func:`stale_partials`); returns those deleted.

    Best effort: a file that cannot be deleted is left, and never stops the job.
    """
    removed: list[Path] = []
    for partial in stale_partials(path):
        try:
            partial.unlink()
        except FileNotFoundError:
            continue  # another run removed it first
        except OSError as exc:
            log.warning("could not remove the stale partial file %s: %s", partial, exc)
            continue
        log.info("removed %s, left by a run that did not finish", partial)
        removed.append(partial)
    return removed


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path`` in one step.

    The caller writes the whole output to the yielded path. If the block raises anything
    (including KeyboardInterrupt), the temporary file is deleted and the exception re-raised,
    so ``path`` is either the complete new file or untouched. The temporary file is not created
    here, so the writer creates it with the usual permissions. Partial files of ``path`` that a
    killed run left are deleted first (:func:`remove_stale_partials`).
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give an output file name")
    if not path.parent.is_dir():
        raise InputError(f"{path}: output folder {path.parent} does not exist")
    remove_stale_partials(path)
    temp = temp_path_for(path)
    try:
        yield temp
        if not temp.is_file():
            raise RedactionError(f"{path.name}: no output was produced")
        _fsync_file(temp)
        os.replace(temp, path)
        _fsync_dir(path.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _partial_prefix(path: Path) -> str:
    # ".STEM", shortened (on a character boundary) where a partial's name could pass the file name limit.
    # It depends on the output's name alone, so a run finds the partials another run named.
    stem = path.stem.encode()
    room = max(_NAME_MAX - 1 - _ADDED_MAX - len(path.suffix.encode()), 1)
    return "." + stem[:room].decode(errors="ignore")


def _writer_gone(writer: Writer, here: Writer) -> bool | None:
    """True if the writer has exited, False if it may be running, None if it cannot be checked from here."""
    if writer.host != here.host:
        return None  # another machine or PID namespace: its PIDs are not ours to look up
    if writer.boot != here.boot:
        return True  # this machine has restarted since: no process of that boot survives
    if os.name == "nt" or writer.pid <= 0:
        return None  # os.kill(pid, 0) would terminate the process on Windows; 0 signals our own group
    try:
        os.kill(writer.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, run by another user
    except (OSError, OverflowError):  # e.g. a PID too large for this system: not one of its processes to judge
        return None
    if writer.start == "0":
        return False  # no start times here: a PID in use may be the writer
    start = _start_time(writer.pid)
    if start is None:
        return False  # it exists but its start time cannot be read: assume it is the writer
    return start != writer.start  # another process has taken the PID since


def _start_time(pid: int) -> str | None:
    # Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot. With the PID it
    # names one process for the life of the boot (a PID alone is reused).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the command name may hold spaces and brackets
    try:
        ticks = int(fields[19])
    except (IndexError, ValueError):
        return None
    return _base36(ticks)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return out


@cache
def _machine() -> tuple[str, str]:
    """Short digests of (machine and PID namespace, boot), each 6 hex digits."""

    def read(source: str) -> str:
        try:
            return (os.readlink(source) if source.startswith("/proc/self/ns/") else Path(source).read_text()).strip()
        except OSError:
            return ""

    host = f"{socket.gethostname()}|{read('/proc/self/ns/pid')}|{sys.platform}"
    boot = read("/proc/sys/kernel/random/boot_id")
    return _digest(host), _digest(boot)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def _fsync_file(path: Path) -> None:
    # Flush the data before the rename so a crash cannot leave a complete name over incomplete bytes.
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    # Persist the rename itself; some file systems (and Windows) cannot open a folder, which is harmless.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
