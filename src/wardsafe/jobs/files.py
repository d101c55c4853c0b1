"""Where a recording's files live under the data folder: one private folder per recording."""

from __future__ import annotations

from pathlib import Path

from wardsafe.config import private_folder

RECORDINGS_DIR = "recordings"


def recording_folder(data_dir: Path, recording_id: str) -> Path:
    """The recording's own folder (created private, mode 0700)."""
    folder = data_dir / RECORDINGS_DIR / recording_id
    private_folder(folder.parent)
    private_folder(folder)
    return folder


def output_path(folder: Path, kind: str, original: Path) -> Path:
    """Where the redacted copy goes: a photo keeps its suffix, a video becomes MP4."""
    return folder / ("redacted" + (original.suffix.lower() if kind == "image" else ".mp4"))
