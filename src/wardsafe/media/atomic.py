"""Write an output file all at once or not at all."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wardsafe.errors import InputError, RedactionError


def temp_path_for(path: Path) -> Path:
    """A hidden, unique sibling of ``path`` that keeps its suffix, so encoders pick the same format."""
    return path.with_name(f".{path.stem}.{secrets.token_hex(6)}.partial{path.suffix}")


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path`` in one step.

    The caller writes the whole output to the yielded path. If the block raises anything
    (including KeyboardInterrupt), the temporary file is deleted and the exception re-raised,
    so ``path`` is either the complete new file or untouched. The temporary file is not created
    here, so the writer creates it with the usual permissions.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give an output file name")
    if not path.parent.is_dir():
        raise InputError(f"{path}: output folder {path.parent} does not exist")
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
