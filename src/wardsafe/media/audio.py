"""Sound tracks with PyAV: read one as 16 kHz mono chunks for speech recognition, a piece at a time.

A 3-hour recording is never held whole: :func:`speech_chunks` resamples while decoding and yields chunks of
``chunk_s`` seconds that overlap by ``overlap_s`` (so a word on a boundary is heard whole in one of them).
Undecodable sound is an :class:`InputError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from wardsafe.errors import InputError

SPEECH_RATE = 16_000
# Limits of what is accepted as a sound track (beyond them it is more likely damage than a recording).
MAX_CHANNELS = 16
MAX_RATE = 768_000


@dataclass(frozen=True)
class SpeechChunk:
    """``pcm`` (float32 mono, 16 kHz) starting ``offset_s`` into the track; ``own`` is the part of it (in
    seconds from the track's start) that this chunk speaks for when chunks are stitched together."""

    offset_s: float
    pcm: np.ndarray
    own: tuple[float, float]


def reason(exc: BaseException) -> str:
    """The first line of an FFmpeg error, for a one-line message."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).strip().splitlines()[0][:200]


def check_track(name: str, stream: av.audio.stream.AudioStream) -> None:
    """Refuses a sound track WardSafe cannot redact faithfully (no codec, absurd channel count or rate)."""
    ctx = stream.codec_context
    if ctx is None or ctx.codec is None:
        raise InputError(f"{name}: its sound track cannot be decoded by this tool")
    if not ctx.sample_rate or ctx.sample_rate > MAX_RATE:
        raise InputError(f"{name}: sound track has an unsupported sample rate ({ctx.sample_rate} Hz)")
    if not ctx.channels or ctx.channels > MAX_CHANNELS:
        raise InputError(f"{name}: sound track has an unsupported number of channels ({ctx.channels})")


def decoded_frames(path: Path, index: int = 0) -> Iterator[av.AudioFrame]:
    """The frames of ``path``'s ``index``-th sound track, in order; InputError if any cannot be decoded."""
    try:
        container = av.open(str(path), metadata_errors="replace")
    except av.FFmpegError as exc:
        raise InputError(f"{path.name}: cannot be read ({reason(exc)})") from None
    with container:
        if len(container.streams.audio) <= index:
            raise InputError(f"{path.name}: has no sound track")
        stream = container.streams.audio[index]
        check_track(path.name, stream)
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    if isinstance(frame, av.AudioFrame):
                        yield frame
        except av.FFmpegError as exc:
            raise InputError(f"{path.name}: sound track is damaged and cannot be decoded ({reason(exc)})") from None


def speech_chunks(path: Path, chunk_s: float = 120.0, overlap_s: float = 8.0, index: int = 0) -> Iterator[SpeechChunk]:
    """``path``'s sound as overlapping 16 kHz mono chunks (see the module's docstring)."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SPEECH_RATE)
    size, keep = int(chunk_s * SPEECH_RATE), int(overlap_s * SPEECH_RATE)
    pieces: list[np.ndarray] = []
    held = 0
    offset = 0  # samples before the first held one
    first = True

    def cut(final: bool) -> SpeechChunk:
        nonlocal pieces, held, offset, first
        pcm = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        start_s = offset / SPEECH_RATE
        own = (start_s + (0 if first else overlap_s / 2),
               float("inf") if final else start_s + (len(pcm) - keep / 2) / SPEECH_RATE)
        chunk = SpeechChunk(start_s, pcm, own)
        tail = pcm[len(pcm) - keep:] if not final and keep else np.zeros(0, np.float32)
        offset += len(pcm) - len(tail)
        pieces, held, first = [tail], len(tail), False
        return chunk

    def take(frames: list[av.AudioFrame]) -> Iterator[SpeechChunk]:
        nonlocal held
        for out in frames:
            samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            pieces.append(samples)
            held += samples.size
        while held >= size:
            whole = np.concatenate(pieces)
            pieces[:] = [whole[:size], whole[size:]]
            rest = pieces.pop()
            yield cut(final=False)
            pieces.append(rest)
            held += rest.size

    for frame in decoded_frames(path, index):
        frame.pts = None  # the resampler follows the samples, not timestamps that may jump in damaged files
        yield from take(resampler.resample(frame))
    yield from take(resampler.resample(None))
    yield cut(final=True)


def wav_missing_bytes(path: Path) -> int:
    """Bytes a WAV file's ``data`` chunk declares beyond the end of the file (0 when complete or not a WAV)."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0
        size = path.stat().st_size
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return 0
            length = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                # 0xFFFFFFFF (or 0) is what a recorder writes while still streaming: the length is unknown.
                if length in (0, 0xFFFFFFFF):
                    return 0
                return max(0, handle.tell() + length - size)
            handle.seek(length + (length & 1), 1)
