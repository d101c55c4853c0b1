"""What a video file says about where, when and on which device it was made."""

from __future__ import annotations

from pathlib import Path

import av

from wardsafe.errors import InputError
from wardsafe.media.kinds import check_readable_file

# Ask the MP4/MOV demuxer for everything: unknown user-data boxes and the full XMP packet too,
# so a tag that FFmpeg does not interpret still shows up here.
_DEMUXER_OPTIONS = {"export_all": "1", "export_xmp": "1"}

# Tags every MP4 writer adds that say nothing about the recording, where or by whom it was made.
_NEUTRAL_TAGS = {"major_brand", "minor_version", "compatible_brands", "encoder", "handler_name", "language"}
# A vendor id names the maker of the encoder ("appl" on iPhones); only the empty one says nothing.
_NEUTRAL_VALUES = {"vendor_id": {"[0][0][0][0]", "", "FFMP"}}  # FFMP: FFmpeg's own mov muxer


def video_metadata(path: Path) -> dict:
    """The tags of a video/audio container and of each of its streams.

    Returns ``{"container": {name: value}, "streams": [{"index": i, "type": "video", "tags": {...}}]}``.
    Used by tests and reports to show that an output carries no location, device or time tags.
    """
    path = Path(path)
    check_readable_file(path)
    try:
        with av.open(str(path), options=_DEMUXER_OPTIONS, metadata_errors="replace") as container:
            return {
                "container": dict(container.metadata),
                "streams": [
                    {"index": stream.index, "type": stream.type, "tags": dict(stream.metadata)}
                    for stream in container.streams
                ],
            }
    except av.FFmpegError as exc:
        raise InputError(f"{path.name}: cannot read its metadata ({exc.strerror or exc})") from None


def identifying_tags(metadata: dict) -> dict[str, str]:
    """The tags in a :func:`video_metadata` result that could identify place, device, person or time.

    Fail closed: every tag counts except the few that any MP4 writer adds and that describe only
    the file format (brand, encoder, handler, language). Keys are ``container:<tag>`` or
    ``stream<i>:<tag>``; an empty dict means the file is clean.
    """
    found: dict[str, str] = {}
    scopes = [("container", metadata.get("container", {}))]
    scopes += [(f"stream{s['index']}", s.get("tags", {})) for s in metadata.get("streams", [])]
    for scope, tags in scopes:
        for name, value in tags.items():
            lowered = name.lower()
            if lowered in _NEUTRAL_TAGS or value in _NEUTRAL_VALUES.get(lowered, ()):
                continue
            found[f"{scope}:{name}"] = value
    return found
