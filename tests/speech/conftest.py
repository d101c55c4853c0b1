"""Shared speech fixtures: one synthesised ward conversation (espeak-ng), made once per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.speech.synth import ESPEAK, Piece, synthesise

WARDSAFE = Path(sys.executable).with_name("wardsafe")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"

# A nurse at the bedside: a name with a title, a date of birth in words, an NHS number read in digits.
CONVERSATION: list[tuple[str, str | None]] = [
    ("Good morning", None),
    ("Mrs Okafor", "NAME"),
    ("can you confirm your date of birth", None),
    ("the fourteenth of March nineteen sixty one", "DATE_OF_BIRTH"),
    ("and your NHS number please", None),
    ("nine four three, four seven six, five nine one three", "NHS_NUMBER"),
    ("thank you, please take a seat", None),
]


def wardsafe(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The installed ``wardsafe`` command, as a user runs it."""
    return subprocess.run([str(WARDSAFE), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=timeout)


@pytest.fixture(scope="session")
def conversation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Piece]]:
    """The conversation as a 22.05 kHz WAV, with where each phrase is."""
    if ESPEAK is None:
        pytest.fail("espeak-ng is not installed: `make setup` installs it (Makefile DEBS)")
    path = tmp_path_factory.mktemp("speech") / "ward.wav"
    return path, synthesise(CONVERSATION, path)
