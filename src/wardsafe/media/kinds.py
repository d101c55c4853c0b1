"""What kind of media a file is, by its name, and what its first bytes say it really is."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Literal

from wardsafe.errors import InputError

MediaKind = Literal["image", "video", "audio"]

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".heif"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v"}
AUDIO_SUFFIXES = {".m4a", ".aac", ".mp3", ".wav", ".ogg", ".opus"}

# ISO-BMFF brands (the ``ftyp`` box) that mean a HEIF/HEIC still image rather than a movie.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}


def media_kind(path: Path) -> MediaKind:
    """The kind of media ``path`` names, from its suffix; an unknown suffix is an :class:`InputError`."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    known = ", ".join(sorted(IMAGE_SUFFIXES | VIDEO_SUFFIXES | AUDIO_SUFFIXES))
    shown = suffix or "no extension"
    raise InputError(f"{Path(path).name}: unsupported file type ({shown}); supported: {known}")


def sniff(head: bytes) -> str:
    """A short human description of what a file's first bytes (at least 16) say it is.

    Used to word errors when a file's content does not match its name ("a PNG image named .mp4").
    Returns one of: "JPEG image", "PNG image", "HEIC image", "MP4/MOV video", "M4A audio",
    "MP3 audio", "WAV audio", "Ogg audio", "AAC audio", "GIF image", "WebP image", "text", "empty file", "unknown data".
    """
    if not head:
        return "empty file"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG image"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG image"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "HEIC image"
        if brand in _AUDIO_BRANDS:
            return "M4A audio"
        return "MP4/MOV video"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "MP4/MOV video"  # old QuickTime files may start without ftyp
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "AAC audio"  # ADTS: MPEG layer bits 00, which MP3 never uses
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "MP3 audio"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "WAV audio"
    if head.startswith(b"OggS"):
        return "Ogg audio"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF image"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP image"
    try:
        # An incremental decoder tolerates a character cut in two at the end of the sample.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        text = None
    if text is not None and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "text"
    return "unknown data"


def sniff_file(path: Path) -> str:
    """:func:`sniff` applied to the first bytes of ``path``."""
    with open(path, "rb") as handle:
        return sniff(handle.read(64))


def kind_of_sniffed(description: str) -> MediaKind | None:
    """The media kind a :func:`sniff` description belongs to, or None for text/unknown data."""
    for kind in ("image", "video", "audio"):
        if description.endswith(kind):
            return kind  # type: ignore[return-value]
    return None


def check_readable_file(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` is an existing, non-empty, readable file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: is not a file")
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise InputError(f"{path.name}: file is empty")
