"""A minimal reader of ISO base media (MP4/MOV/HEIC) box headers: enough to spot a cut-off file.

FFmpeg opens an MP4 whose index (``moov``) comes first even when the media data after it was cut
off, and then silently yields fewer frames. Comparing the sizes the boxes declare with the file's
real size catches that before any decoding.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Boxes whose payload is itself a list of boxes (the ones needed to reach track headers).
CONTAINER_BOXES = {"moov", "trak", "mdia", "minf", "stbl", "udta", "edts", "dinf", "moof", "traf", "mvex"}


@dataclass(frozen=True)
class Box:
    """One box: its four-character type, where it starts, its declared size and header length."""

    type: str
    offset: int
    size: int
    header_size: int

    @property
    def end(self) -> int:
        """Offset just past the box's declared end."""
        return self.offset + self.size

    @property
    def payload_offset(self) -> int:
        """Offset of the first byte after the header."""
        return self.offset + self.header_size


def iter_boxes(handle: BinaryIO, start: int, end: int) -> Iterator[Box]:
    """Yield the boxes laid end to end between ``start`` and ``end`` (declared sizes may overrun ``end``)."""
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header[:8])
        header_size = 8
        if size == 1:  # 64-bit size follows the type
            if len(header) < 16:
                return
            size = struct.unpack(">Q", header[8:16])[0]
            header_size = 16
        elif size == 0:  # "extends to the end of the file"
            size = end - offset
        if size < header_size:
            return  # not a box: garbage or padding; leave it to the demuxer to judge
        yield Box(kind.decode("latin-1"), offset, size, header_size)
        offset += size


def top_level_boxes(path: Path) -> list[Box]:
    """The top-level boxes of a file, as declared (the last may claim bytes the file lacks)."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        file_size = handle.tell()
        return list(iter_boxes(handle, 0, file_size))


def missing_bytes(path: Path) -> int:
    """How many bytes the file's top-level boxes declare beyond its end (0 for a complete file).

    A lower bound: boxes that were cut off entirely (often the index, written last) are not counted.
    """
    file_size = Path(path).stat().st_size
    boxes = top_level_boxes(path)
    return max((box.end - file_size for box in boxes), default=0) if boxes else 0


def find_boxes(handle: BinaryIO, path: tuple[str, ...], start: int, end: int) -> Iterator[Box]:
    """Yield every box reached by following ``path`` (e.g. ``("moov", "trak", "tkhd")``) from a range."""
    for box in iter_boxes(handle, start, end):
        if box.type != path[0]:
            continue
        if len(path) == 1:
            yield box
        elif box.type in CONTAINER_BOXES:
            yield from find_boxes(handle, path[1:], box.payload_offset, min(box.end, end))


def track_codecs(path: Path) -> list[tuple[str, str]]:
    """(handler, sample entry four-cc) per track, e.g. ``[("vide", "avc1"), ("soun", "mp4a")]``.

    Names the codec of a track even when FFmpeg does not know it, for a clear error message.
    """
    found = []
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        for trak in find_boxes(handle, ("moov", "trak"), 0, end):
            handler = codec = "?"
            for hdlr in find_boxes(handle, ("mdia", "hdlr"), trak.payload_offset, trak.end):
                handle.seek(hdlr.payload_offset + 8)
                handler = handle.read(4).decode("latin-1")
            for stsd in find_boxes(handle, ("mdia", "minf", "stbl", "stsd"), trak.payload_offset, trak.end):
                entries = list(iter_boxes(handle, stsd.payload_offset + 8, stsd.end))
                if entries:
                    codec = entries[0].type
            found.append((handler, codec))
    return found
