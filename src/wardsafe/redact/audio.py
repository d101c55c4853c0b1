"""Hiding spoken identifiers: a 1 kHz tone (bleep) or silence over padded spans, applied while copying.

:class:`SampleHider` edits decoded frames in place of the samples inside the spans and passes every other
frame through untouched, so that WAV in, WAV out is bit-for-bit the same outside the spans, and every
format keeps its length. :func:`redact_audio_file` streams an audio file through it (never whole in
memory); the video writer uses the same hider on a video's sound track.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from wardsafe.detect.seam import Span, SpeechDetector
from wardsafe.errors import InputError, RedactionError
from wardsafe.media.audio import decoded_frames, reason
from wardsafe.redact.audio_spans import DEFAULT_PAD_S, Heard, hear, pad_and_merge
from wardsafe.redact.options import AudioMode

TONE_HZ = 1000.0
TONE_LEVEL = 0.3  # of full scale: clearly a bleep, not painfully loud

DEFAULT_BIT_RATE = 128_000
MAX_BIT_RATE = 320_000
# Output suffix -> (container format, encoder for a lossy input) ; a WAV keeps the input's PCM encoding.
_OUTPUTS = {".wav": ("wav", "pcm_s16le"), ".m4a": ("ipod", "aac"), ".aac": ("adts", "aac"),
            ".mp3": ("mp3", "libmp3lame"), ".ogg": ("ogg", "libopus"), ".opus": ("opus", "libopus")}
# Encoders of codecs FFmpeg decodes under another name.
_ENCODER_OF = {"mp3": "libmp3lame", "opus": "libopus", "vorbis": "libvorbis"}


def tone(first: int, count: int, rate: int) -> np.ndarray:
    """``count`` samples of the 1 kHz tone from sample ``first`` on (float, -TONE_LEVEL..TONE_LEVEL); the
    phase follows the absolute sample number, so spans cut across frames join without clicks."""
    n = np.arange(first, first + count, dtype=np.float64)
    return (TONE_LEVEL * np.sin(2 * math.pi * TONE_HZ * n / rate)).astype(np.float64)


def _scaled(values: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """Float samples (-1..1) in the sample type ``dtype`` (int PCM scaled to full scale; u8 centred on 128)."""
    if dtype.kind == "f":
        return values.astype(dtype)
    if dtype == np.uint8:
        return np.round(128 + 127 * values).astype(dtype)
    top = np.iinfo(dtype).max
    return np.round(values * top).astype(dtype)


class SampleHider:
    """Replaces the samples of ``spans`` (seconds) in a stream of decoded frames with a tone or silence.

    Frames must come in order; the position is counted in samples, not read from timestamps, so it is exact
    however the container stamps its packets. ``mode`` "mute-all" silences every frame.
    """

    def __init__(self, spans: Sequence[Span], rate: int, mode: AudioMode, silence: Sequence[Span] = ()) -> None:
        # (first sample, end sample, silenced whatever the mode): ``silence`` holds parts cut on request
        self.ranges = [(round(s.start_s * rate), round(s.end_s * rate), False) for s in spans]
        self.ranges += [(round(s.start_s * rate), round(s.end_s * rate), True) for s in silence]
        self.rate = rate
        self.mode = mode
        self.position = 0
        self.samples_hidden = 0

    def __call__(self, frame: av.AudioFrame) -> av.AudioFrame:
        """``frame`` itself when nothing in it is hidden, else an edited copy with the same timing."""
        start, count = self.position, frame.samples
        self.position += count
        local = [(max(a, start) - start, min(b, start + count) - start, silent) for a, b, silent in self.ranges
                 if a < start + count and b > start]
        if self.mode == "mute-all":
            local = [(0, count, True)]
        if not local:
            return frame
        data = np.array(frame.to_ndarray())  # a writable copy
        channels = len(frame.layout.channels)
        view = data if frame.format.is_planar else data.reshape(count, channels).T
        for a, b, silent in local:
            if b <= a:
                continue
            if self.mode == "bleep" and not silent:
                view[:, a:b] = _scaled(tone(start + a, b - a, self.rate), data.dtype)[None, :]
            else:
                view[:, a:b] = 128 if data.dtype == np.uint8 else 0
            self.samples_hidden += b - a
        samples: Any = data  # its dtype is the frame's sample type, known only at run time
        out = av.AudioFrame.from_ndarray(samples, format=frame.format.name, layout=frame.layout)
        out.sample_rate = frame.sample_rate
        out.pts, out.time_base = frame.pts, frame.time_base
        return out


@dataclass
class AudioOutcome:
    """What one audio file's redaction did: the spans hidden (padded), what was heard, and timings."""

    mode: AudioMode
    pad_s: float
    spans: list[Span]
    heard: Heard | None
    duration_s: float
    write_s: float
    reencoded: bool
    models: list[dict[str, str]]

    def report(self) -> dict[str, Any]:
        """The report's ``audio`` section: spans hidden (times and types, never words), model, speed."""
        hear_s = self.heard.seconds if self.heard else 0.0
        total = hear_s + self.write_s
        return {
            "mode": self.mode,
            "pad_s": self.pad_s,
            "spans_hidden": [{"start_s": round(s.start_s, 3), "end_s": round(s.end_s, 3), "kind": s.kind}
                             for s in self.spans],
            "seconds_hidden": round(sum(s.end_s - s.start_s for s in self.spans), 3),
            "duration_s": round(self.duration_s, 3),
            "reencoded": self.reencoded,
            "speech_models": self.models,
            "speech_s": round(hear_s, 3),
            "write_s": round(self.write_s, 3),
            "real_time_factor": round(total / self.duration_s, 4) if self.duration_s else None,
        }


def spans_to_hide(source: Path, detectors: Sequence[SpeechDetector], mode: AudioMode, pad_s: float = DEFAULT_PAD_S,
                  index: int = 0) -> tuple[list[Span], Heard | None]:
    """The padded, merged spans of ``source``'s sound track to hide under ``mode`` (none for keep/mute-all)."""
    if mode not in ("bleep", "mute"):
        return [], None
    if not detectors:
        raise RedactionError("no speech detector is configured; cannot hide spoken identifiers")
    heard = hear(source, detectors, index=index)
    return pad_and_merge(heard.spans, pad_s, heard.duration_s), heard


def _encoder(suffix: str, codec: str) -> tuple[str, str, bool]:
    """(container format, encoder, whether the input's packets can be copied as they are) for an output."""
    container, default = _OUTPUTS[suffix]
    if suffix == ".wav":
        return (container, codec, True) if codec.startswith("pcm_") else (container, default, False)
    encoder = _ENCODER_OF.get(codec, codec)
    fits = {".m4a": {"aac", "alac"}, ".aac": {"aac"}, ".mp3": {"mp3"}, ".ogg": {"opus", "vorbis", "flac"},
            ".opus": {"opus"}}[suffix]
    if codec in fits:
        return container, encoder, True
    return container, default, False


def redact_audio_file(source: Path, target: Path, detectors: Sequence[SpeechDetector], mode: AudioMode,
                      pad_s: float = DEFAULT_PAD_S, suffix: str | None = None,
                      silence: Sequence[Span] = ()) -> AudioOutcome:
    """Writes ``source``'s sound to ``target`` with spoken identifiers hidden; ``suffix`` (by default
    ``target``'s) sets the format. ``silence``: parts cut on request, silenced whatever the mode."""
    suffix = (suffix or target.suffix).lower()
    if suffix not in _OUTPUTS:
        raise InputError(f"{target.name}: cannot write audio as '{suffix or 'no extension'}'; "
                         f"use one of {', '.join(sorted(_OUTPUTS))}")
    spans, heard = spans_to_hide(source, detectors, mode, pad_s)
    started = time.perf_counter()
    with av.open(str(source), metadata_errors="replace") as probe_in:
        stream = probe_in.streams.audio[0]
        codec = stream.codec_context.codec.canonical_name
        rate = stream.codec_context.sample_rate
        bit_rate = stream.codec_context.bit_rate or stream.bit_rate
    container_format, encoder, copyable = _encoder(suffix, codec)
    hider = SampleHider(spans, rate, mode, silence) if spans or silence or mode == "mute-all" else None
    if hider is None and copyable:
        duration = _copy_packets(source, target, container_format)
    else:
        duration = _reencode(source, target, container_format, encoder, bit_rate, hider)
    models = [{"kind": d.kind, "name": d.model_name, "sha256": d.model_sha256} for d in detectors] \
        if heard is not None else []
    return AudioOutcome(mode, pad_s, spans, heard, heard.duration_s if heard else duration,
                        time.perf_counter() - started, hider is not None or not copyable, models)


def _copy_packets(source: Path, target: Path, container_format: str) -> float:
    """Copies the sound track's packets unchanged (nothing to hide), without the input's metadata."""
    with av.open(str(source), metadata_errors="replace") as src, \
            av.open(str(target), mode="w", format=container_format) as dst:
        dst.metadata.clear()
        stream = src.streams.audio[0]
        out = dst.add_stream_from_template(stream)
        out.metadata.clear()
        samples = 0
        try:
            for packet in src.demux(stream):
                if packet.dts is None:
                    continue  # the demuxer's empty end-of-stream packet
                samples += packet.duration or 0
                packet.stream = out
                dst.mux(packet)
        except av.FFmpegError as exc:
            raise InputError(f"{source.name}: sound track is damaged ({reason(exc)})") from None
        return float(samples * stream.time_base) if stream.time_base else 0.0


def _reencode(source: Path, target: Path, container_format: str, encoder: str, bit_rate: int | None,
              hider: SampleHider | None) -> float:
    """Decodes, hides and encodes the sound track frame by frame; returns its length in seconds."""
    frames = decoded_frames(source)
    first = next(frames, None)
    if first is None:
        raise InputError(f"{source.name}: sound track holds no sound")
    rate = first.sample_rate
    try:
        dst = av.open(str(target), mode="w", format=container_format)
    except av.FFmpegError as exc:
        raise RedactionError(f"cannot create {target.name} ({reason(exc)})") from None
    samples = 0
    with dst:
        dst.metadata.clear()
        out_rate = 48000 if encoder == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000) else rate
        out = dst.add_stream(encoder, rate=out_rate, layout=_named_layout(first.layout, encoder))
        assert isinstance(out, av.audio.stream.AudioStream)
        if encoder.startswith("pcm_"):
            # PCM in, PCM out: the same sample format, so every sample not hidden is written back bit for bit
            out.codec_context.format = first.format if first.format.name in ("u8", "s16", "s32", "flt", "dbl") \
                else "s16"
        else:  # a lossy input keeps its bit rate; PCM's would be far too high for a lossy encoder
            out.codec_context.bit_rate = min(bit_rate or DEFAULT_BIT_RATE, MAX_BIT_RATE) \
                if bit_rate and bit_rate <= MAX_BIT_RATE else DEFAULT_BIT_RATE
        out.metadata.clear()
        for frame in _chain(first, frames):
            samples += frame.samples
            edited = hider(frame) if hider is not None else frame
            edited.pts = None  # the encoder counts samples itself
            for packet in out.encode(edited):
                dst.mux(packet)
        for packet in out.encode(None):
            dst.mux(packet)
    return samples / rate


_LAYOUT_OF_COUNT = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def _named_layout(layout: av.AudioLayout, encoder: str) -> str:
    """The layout to encode: the input's, or for a lossy encoder a named one of as many channels (a WAV
    without a channel mask decodes as "2 channels", which lossy encoders refuse)."""
    count = len(layout.channels)
    if encoder.startswith("pcm_") or not layout.name.endswith("channels"):
        return layout.name
    return _LAYOUT_OF_COUNT.get(count, layout.name)


def _chain(first: av.AudioFrame, rest: Any) -> Any:
    yield first
    yield from rest
