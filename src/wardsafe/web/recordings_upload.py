"""Streaming a multipart upload's ``file`` part to disk, chunk by chunk, with a size limit: a phone
video of several hundred MB never sits in memory, and the limit stops a bigger one part-way."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

from wardsafe.media.kinds import AUDIO_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES

MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES | AUDIO_SUFFIXES
_NAME = re.compile(r'(?:^|;)\s*name="?([^";]+)"?', re.IGNORECASE)
_FILENAME = re.compile(r'filename="?([^";]*)"?', re.IGNORECASE)


class UploadTooLarge(Exception):
    """More bytes arrived than the limit allows."""


class UploadUnreadable(Exception):
    """The body is not a multipart form with one ``file`` part of a known media suffix."""


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    field_name: bytes = b""
    value: bytes = b""


def media_suffix(filename: str) -> str:
    """The file name's suffix, lower-case, if it is one the engine reads; UploadUnreadable otherwise."""
    suffix = Path(filename).suffix.lower()
    if suffix not in MEDIA_SUFFIXES:
        raise UploadUnreadable(f"send a photo, video or audio file ({', '.join(sorted(MEDIA_SUFFIXES))})")
    return suffix


async def save_file_part(content_type: str, body: AsyncIterator[bytes], folder: Path, max_bytes: int) -> Path:
    """Writes the form's ``file`` part to ``folder/original<suffix>`` and returns its path. Raises
    UploadTooLarge past ``max_bytes`` of body, UploadUnreadable for a body that is not such a form."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadUnreadable("send the recording as multipart/form-data with a field named file")
    part = _Part()
    header_name = bytearray()
    header_value = bytearray()
    target: list[BinaryIO | None] = [None]
    saved: list[Path] = []

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        part.headers[header_name.decode("latin-1").lower()] = header_value.decode("utf-8", "replace")
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        disposition = part.headers.get("content-disposition", "")
        name = _NAME.search(disposition.replace("filename=", "x-filename="))
        filename = _FILENAME.search(disposition)
        if name and name.group(1) == "file" and filename is not None and not saved:
            path = folder / ("original" + media_suffix(filename.group(1)))
            target[0] = path.open("wb")
            saved.append(path)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if target[0] is not None:
            target[0].write(data[start:end])

    def on_part_end() -> None:
        if target[0] is not None:
            target[0].close()
            target[0] = None
        part.headers.clear()

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > max_bytes:
                raise UploadTooLarge
            parser.write(chunk)
        parser.finalize()
    except (UploadTooLarge, UploadUnreadable):
        raise
    except Exception as exc:  # python-multipart raises several error types for a malformed body
        raise UploadUnreadable("the upload could not be read as a form; please try again") from exc
    finally:
        if target[0] is not None:
            target[0].close()
    if not saved or not saved[0].stat().st_size:
        raise UploadUnreadable("send the recording in a form field named file")
    return saved[0]
