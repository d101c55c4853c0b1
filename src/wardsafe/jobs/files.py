"""Where a recording's files live under the data folder: one private folder per recording."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from wardsafe.config import private_folder
from wardsafe.media.kinds import AUDIO_SUFFIXES

RECORDINGS_DIR = "recordings"


def recording_folder(data_dir: Path, recording_id: str) -> Path:
    """The recording's own folder (created private, mode 0700)."""
    folder = data_dir / RECORDINGS_DIR / recording_id
    private_folder(folder.parent)
    private_folder(folder)
    return folder


def output_path(folder: Path, kind: str, original: Path) -> Path:
    """Where the redacted copy goes: a photo keeps its suffix, a video becomes MP4, a sound file keeps its
    format (M4A for sound in a video container)."""
    suffix = original.suffix.lower()
    if kind == "audio":
        return folder / ("redacted" + (suffix if suffix in AUDIO_SUFFIXES else ".m4a"))
    return folder / ("redacted" + (suffix if kind == "image" else ".mp4"))


def transcript_path(folder: Path) -> Path:
    """Where a consultation recording's transcript goes (identifiers replaced by their type)."""
    return folder / "redacted.transcript.txt"


def delete_original(paths: Iterable[str]) -> None:
    """Deletes an original and the intermediates beside it (plan files, thumbnails, temporary
    partials); the redacted copy and its report stay. Missing files are fine (a sweep may repeat)."""
    for original in map(Path, paths):
        folder = original.parent
        original.unlink(missing_ok=True)
        for leftover in folder.glob("*"):
            if leftover.is_file() and (".plan." in leftover.name or leftover.name.startswith(".")):
                leftover.unlink(missing_ok=True)


def delete_files(paths: Iterable[str]) -> None:
    """Deletes these files (an expired recording's every file)."""
    for path in map(Path, paths):
        path.unlink(missing_ok=True)
