"""Look inside a media file before processing it: what it is, how big, how long, which way up.

:func:`probe` reads headers and decodes at most one video frame. It judges the content, not the
name, and refuses with one clear :class:`InputError` line anything that redaction could not
finish: a missing, empty, truncated or mislabelled file, an undecodable codec, a decompression bomb.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import av

from wardsafe.errors import InputError
from wardsafe.media.image import display_size, exif_rotation, open_image_header
from wardsafe.media.isobmff import missing_bytes, track_codecs
from wardsafe.media.kinds import check_readable_file, kind_of_sniffed, media_kind, sniff_file

_ISO_CONTENT = ("MP4/MOV video", "M4A audio")
_IMAGE_CONTAINERS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "HEIF": "heic"}


@dataclass(frozen=True)
class MediaInfo:
    """Facts about one media file. Sizes are as displayed, i.e. after rotation."""

    path: Path
    kind: str  # "image", "video" or "audio"
    container: str  # "jpeg", "png", "heic", "mp4", "mov", "m4a", "mp3", "wav"
    width: int  # display width in pixels (0 for audio)
    height: int  # display height in pixels (0 for audio)
    rotation: int  # degrees clockwise to display upright (0/90/180/270): EXIF orientation or display matrix
    frames: int | None  # video frames the container declares
    fps: float | None  # average frame rate (variable-rate videos have one too)
    duration_s: float | None
    video_codec: str | None  # FFmpeg codec name, e.g. "h264", "hevc"; None for photos and audio
    audio_codec: str | None  # e.g. "aac"; None when there is no sound track

    @property
    def has_audio(self) -> bool:
        """Whether the file has a sound track."""
        return self.audio_codec is not None


def probe(path: Path) -> MediaInfo:
    """Describe a photo, video or audio file, or raise :class:`InputError` saying why it cannot be used."""
    path = Path(path)
    check_readable_file(path)
    kind = media_kind(path)
    if kind == "image":
        return _probe_image(path)
    content = sniff_file(path)
    if kind_of_sniffed(content) == "image":
        raise InputError(f"{path.name}: is a {content}, not {_expected(kind)}; rename it to match its content")
    if content == "text":
        raise InputError(f"{path.name}: is not a media file (its content is text)")
    if content in _ISO_CONTENT:
        missing = missing_bytes(path)
        if missing > 0:
            raise InputError(f"{path.name}: file is truncated (at least {missing:,} bytes missing); "
                             "was the copy or download interrupted?")
    try:
        # Tags are text from the phone; a camera that wrote Latin-1 must not stop us reading pixels.
        container = av.open(str(path), metadata_errors="replace")
    except av.FFmpegError as exc:
        raise InputError(f"{path.name}: cannot be read as {_expected(kind)} ({_reason(exc)})") from None
    with container:
        if kind == "video":
            return _probe_video(path, container)
        return _probe_audio(path, container)


def _expected(kind: str) -> str:
    return {"video": "an MP4/MOV video", "audio": "an audio file (WAV, M4A/AAC, MP3, OGG/Opus)"}.get(kind, "a photo")


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).strip().splitlines()[0][:200]


def _probe_image(path: Path) -> MediaInfo:
    with open_image_header(path) as image:
        width, height = display_size(image)
        return MediaInfo(
            path=path, kind="image", container=_IMAGE_CONTAINERS.get(image.format or "", str(image.format).lower()),
            width=width, height=height, rotation=exif_rotation(image),
            frames=None, fps=None, duration_s=None, video_codec=None, audio_codec=None,
        )


def _container_name(container: av.container.InputContainer) -> str:
    names = container.format.name.split(",")
    if "mov" in names:
        brand = container.metadata.get("major_brand", "").strip()
        if brand == "qt":
            return "mov"
        if brand.startswith("M4A"):
            return "m4a"
        return "mp4"
    return names[0]


def _probe_video(path: Path, container: av.container.InputContainer) -> MediaInfo:
    if "mov" not in container.format.name.split(","):
        raise InputError(f"{path.name}: is a {container.format.long_name or container.format.name} file, "
                         "not an MP4/MOV video")
    if not container.streams.video:
        raise InputError(f"{path.name}: has no video track (it is audio only)")
    stream = container.streams.video[0]
    codec = _codec_name(stream)
    first = _first_frame(path, container, stream, codec)
    rotation = (-first.rotation) % 360  # FFmpeg gives the display matrix angle counter-clockwise
    if rotation % 90:
        raise InputError(f"{path.name}: rotation of {rotation} degrees is not supported (only multiples of 90)")
    width, height = (first.height, first.width) if rotation in (90, 270) else (first.width, first.height)
    audio = container.streams.audio[0] if container.streams.audio else None
    return MediaInfo(
        path=path, kind="video", container=_container_name(container), width=width, height=height,
        rotation=rotation, frames=stream.frames or None, fps=_fps(stream), duration_s=_duration(container, stream),
        video_codec=codec, audio_codec=_codec_name(audio),
    )


def _first_frame(
    path: Path, container: av.container.InputContainer, stream: av.video.stream.VideoStream, codec: str | None
) -> av.VideoFrame:
    """Decode the first frame, proving the codec is supported and the data is not garbage."""
    if not codec or codec == "none":
        fourccs = [fourcc for handler, fourcc in _track_codecs(path) if handler == "vide"]
        tag = fourccs[0] if fourccs else "unknown"
        raise InputError(f"{path.name}: video codec '{tag}' cannot be decoded by this tool "
                         "(phone videos use H.264 or HEVC)")
    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as exc:
        raise InputError(f"{path.name}: video track ({codec}) cannot be decoded ({_reason(exc)})") from None
    raise InputError(f"{path.name}: video track ({codec}) has no decodable frames")


def _track_codecs(path: Path) -> list[tuple[str, str]]:
    try:
        return track_codecs(path)
    except (OSError, struct.error, UnicodeDecodeError):
        return []


def _codec_name(stream: av.stream.Stream | None) -> str | None:
    if stream is None or stream.codec_context is None:
        return None
    # The codec's own name ("mp3"), not the decoder's ("mp3float").
    return stream.codec_context.codec.canonical_name


def _fps(stream: av.video.stream.VideoStream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else None


def _duration(container: av.container.InputContainer, stream: av.stream.Stream | None) -> float | None:
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _probe_audio(path: Path, container: av.container.InputContainer) -> MediaInfo:
    if not container.streams.audio:
        raise InputError(f"{path.name}: has no sound track")
    audio = container.streams.audio[0]
    return MediaInfo(
        path=path, kind="audio", container=_container_name(container), width=0, height=0, rotation=0,
        frames=None, fps=None, duration_s=_duration(container, audio), video_codec=None,
        audio_codec=_codec_name(audio),
    )
