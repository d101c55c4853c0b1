"""atomic_output: the output is the complete new file or nothing, whatever goes wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wardsafe.errors import InputError, RedactionError
from wardsafe.media.atomic import atomic_output
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
