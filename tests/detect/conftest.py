"""Small real photos with labelled faces (CC0, see data/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

DATA = Path(__file__).parent / "data"


def load_photo(name: str) -> tuple[np.ndarray, list[list[int]]]:
    """RGB pixels and labelled face boxes [x, y, w, h] of a fixture photo."""
    boxes = json.loads((DATA / "boxes.json").read_text())[name]
    return np.asarray(Image.open(DATA / name).convert("RGB")), boxes


@pytest.fixture(scope="session")
def photo():
    """``photo(name)`` -> (RGB pixels, labelled face boxes) of a fixture photo."""
    return load_photo


@pytest.fixture(scope="session")
def detector():
    from wardsafe.detect.faces import load_face_detector

    return load_face_detector(threads=2)
