"""Shared fixtures for the media tests: the committed files and their ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from media.bad_inputs import FIXTURES


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The folder of committed media fixtures."""
    return FIXTURES


@pytest.fixture(scope="session")
def truth() -> dict:
    """Ground truth for the fixtures (sizes, rotation, face boxes), written by make_fixtures.py."""
    return json.loads((FIXTURES / "truth.json").read_text())
