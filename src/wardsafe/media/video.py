"""Video decode and encode with PyAV, frame by frame, keeping timing and the sound track.

Frames travel as planar YUV 4:2:0 arrays (what phones record and H.264 stores), so a frame with
nothing to hide costs no colour conversion; only the small copy used for face detection is
converted to RGB. Rotation metadata is applied to the pixels, so the output shows upright
everywhere without relying on a player honouring a display matrix.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from wardsafe.errors import InputError, RedactionError

# Edits one decoded sound frame (frames come in order), e.g. wardsafe.redact.audio.SampleHider.
AudioEdit = Callable[[av.AudioFrame], av.AudioFrame]
# Audio codecs that MP4/MOV can carry as they are; anything else is re-encoded to AAC.
_COPYABLE_AUDIO = {"aac", "mp3", "alac", "ac3", "eac3", "opus"}
# libx264 "veryfast" keeps within the I/O budget on 2 cores; CRF 20 is visually transparent for phone video.
_ENCODER_OPTIONS = {"preset": "veryfast", "crf": "20"}


class YuvFrame:
    """One decoded frame, upright, with its timestamp.

    The Y, U and V planes are extracted only when something asks for them (to draw on the frame
    or rotate it); a frame nobody touches goes back to the encoder as it was decoded.
    """

    still = False  # a video frame, not a photo (see wardsafe.detect.seam.Frame)

    def __init__(self, index: int, pts: int, source: av.VideoFrame, rotation: int) -> None:
        self.index = index
        self.pts = pts
        self.source = source
        self.rotation = rotation  # degrees counter-clockwise to make the frame upright
        self.key = -1  # its number among the key frames, set by the engine on key frames
        self._planes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # Detection (its own thread) and the main thread (looking again, telling cuts) may both read a key
        # frame; FFmpeg's scaler on one frame must not run on two threads at once (it crashed the process).
        self._lock = threading.Lock()

    @property
    def width(self) -> int:
        """Upright width in pixels."""
        return self.source.height if self.rotation in (90, 270) else self.source.width

    @property
    def height(self) -> int:
        """Upright height in pixels."""
        return self.source.width if self.rotation in (90, 270) else self.source.height

    @property
    def touched(self) -> bool:
        """Whether the planes were taken out (and so may differ from the decoded frame)."""
        return self._planes is not None or self.rotation != 0

    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Writable upright (Y, U, V) planes; U and V are half size in both directions."""
        with self._lock:
            return self._extract_planes()

    def _extract_planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._planes is None:
            frame = self.source
            height, width = frame.height, frame.width
            # to_ndarray packs Y, U and V one after the other; slice by size, since a chroma
            # plane with an odd number of rows does not end on a row of the packed array.
            flat: np.ndarray = frame.to_ndarray().reshape(-1)
            luma, chroma = height * width, (height // 2) * (width // 2)
            y: np.ndarray = flat[:luma].reshape(height, width)
            u: np.ndarray = flat[luma : luma + chroma].reshape(height // 2, width // 2)
            v: np.ndarray = flat[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2)
            if self.rotation:
                k = self.rotation // 90
                y, u, v = (np.ascontiguousarray(np.rot90(p, k)) for p in (y, u, v))
            self._planes = (y, u, v)
        return self._planes

    def small_rgb(self, width: int, height: int) -> np.ndarray:
        """An upright RGB copy scaled to ``width`` x ``height`` (upright sizes), for detection."""
        return self._small(width, height, "rgb24")

    def small_grey(self, width: int, height: int) -> np.ndarray:
        """An upright grey copy scaled to ``width`` x ``height`` (upright sizes): the luma plane scaled, half the
        cost of an RGB copy made grey (the camera's motion is measured on one of every frame)."""
        return self._small(width, height, "gray")

    def _small(self, width: int, height: int, pixel_format: str) -> np.ndarray:
        """The decoded frame scaled to upright ``width`` x ``height`` in ``pixel_format``, then turned upright."""
        if self.rotation in (90, 270):
            width, height = height, width
        with self._lock:
            pixels: np.ndarray = self.source.reformat(width=width, height=height, format=pixel_format).to_ndarray()
        if self.rotation:
            pixels = np.ascontiguousarray(np.rot90(pixels, self.rotation // 90))
        return pixels

    def rgb_crop(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Upright RGB pixels of the rectangle (x0, y0)-(x1, y1) at full resolution (even-aligned)."""
        y, u, v = self.planes()
        x0, y0, x1, y1 = (c - c % 2 for c in (x0, y0, x1, y1))
        packed = np.concatenate((
            y[y0:y1, x0:x1].reshape(-1),
            u[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2].reshape(-1),
            v[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2].reshape(-1),
        )).reshape((y1 - y0) * 3 // 2, x1 - x0)
        return cv2.cvtColor(packed, cv2.COLOR_YUV2RGB_I420)

    def to_av_frame(self) -> av.VideoFrame:
        """The frame to encode: the decoded one if untouched, else one built from the planes."""
        if not self.touched:
            return self.source
        y, u, v = self.planes()
        height, width = y.shape
        packed = np.concatenate((y.reshape(-1), u.reshape(-1), v.reshape(-1)))
        return av.VideoFrame.from_ndarray(packed.reshape(height * 3 // 2, width), format="yuv420p")


def _even(n: int) -> int:
    return n - (n % 2)


class VideoReader:
    """Decodes the first video stream of a file into upright :class:`YuvFrame` objects.

    Use as a context manager. ``frames()`` yields every frame in presentation order and raises
    :class:`InputError` if the stream is damaged or ends before the length its container states.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            # metadata_errors: a tag in Latin-1 (some cameras) would otherwise stop av.open itself.
            self.container = av.open(str(self.path), metadata_errors="replace")
        except av.FFmpegError as exc:
            raise InputError(f"{self.path.name}: cannot open as video ({_reason(exc)})") from None
        if not self.container.streams.video:
            self.container.close()
            raise InputError(f"{self.path.name}: has no video track")
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.audio = self.container.streams.audio[0] if self.container.streams.audio else None
        self.rotation = 0  # degrees counter-clockwise, known once the first frame is decoded
        self._audio_packets: list[av.Packet] = []
        # the writer may take packets on another thread while frames() is still appending them
        self._audio_lock = threading.Lock()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the input file."""
        self.container.close()

    @property
    def declared_frames(self) -> int:
        """Frame count the container declares (0 if unknown)."""
        return int(self.stream.frames or 0)

    @property
    def rate(self) -> Fraction:
        """Average frame rate (frames per second)."""
        for rate in (self.stream.average_rate, self.stream.guessed_rate, self.stream.base_rate):
            if rate is not None and rate > 0:
                return Fraction(rate.numerator, rate.denominator)
        return Fraction(30)

    @property
    def time_base(self) -> Fraction:
        """Time base of the video stream's timestamps."""
        base = self.stream.time_base
        if base is None:
            raise InputError(f"{self.path.name}: video stream has no time base")
        return Fraction(base.numerator, base.denominator)

    def take_audio_packets(self) -> list[av.Packet]:
        """Audio packets read so far (while demuxing video), handed over once."""
        with self._audio_lock:
            packets, self._audio_packets = self._audio_packets, []
        return packets

    def frames(self) -> Iterator[YuvFrame]:
        """Yields every frame, upright, in order; audio packets are collected on the way."""
        streams = [self.stream] + ([self.audio] if self.audio is not None else [])
        index = 0
        try:
            for packet in self.container.demux(*streams):
                if packet.stream.type == "audio":
                    if packet.dts is not None:
                        with self._audio_lock:
                            self._audio_packets.append(packet)
                    continue
                for frame in packet.decode():
                    if not isinstance(frame, av.VideoFrame):  # a video packet decodes to video frames
                        continue
                    if index == 0:
                        self.rotation = int(round((frame.rotation or 0) / 90.0)) * 90 % 360
                    yield self._wrap(frame, index)
                    index += 1
        except av.FFmpegError as exc:
            raise InputError(f"{self.path.name}: video is damaged at frame {index} ({_reason(exc)})") from None
        if index == 0:
            raise InputError(f"{self.path.name}: video track holds no frames")
        declared = self.declared_frames
        # Containers round their frame count; a real shortfall means the file was cut off.
        if declared and index < declared - max(2, declared // 100):
            raise InputError(
                f"{self.path.name}: video ends early: decoded {index} of {declared} frames (truncated file?)"
            )

    def _wrap(self, frame: av.VideoFrame, index: int) -> YuvFrame:
        if frame.format.name not in ("yuv420p", "yuvj420p") or frame.width % 2 or frame.height % 2:
            # 10-bit HDR, 4:2:2 and odd sizes are brought to the one layout the rest of the code handles.
            frame = frame.reformat(width=_even(frame.width), height=_even(frame.height), format="yuv420p")
        pts = frame.pts
        if pts is None:
            pts = round(index / self.rate / self.time_base)
        return YuvFrame(index=index, pts=pts, source=frame, rotation=self.rotation)


class VideoWriter:
    """Encodes :class:`YuvFrame` objects to H.264 in the container the output's suffix names.

    The sound track is copied packet for packet where the container can carry it (re-encoded to
    AAC otherwise). No metadata from the input is written: no location, device or creation time.
    """

    def __init__(self, path: Path, reader: VideoReader, width: int, height: int,
                 audio_edit: AudioEdit | None = None) -> None:
        self.path = Path(path)
        # edits each decoded sound frame before it is encoded (spoken identifiers bleeped); None copies it
        self.audio_edit = audio_edit
        self.reader = reader
        try:
            self.container = av.open(str(self.path), mode="w")
        except av.FFmpegError as exc:
            raise RedactionError(f"cannot create {self.path.name} ({_reason(exc)})") from None
        # Not reusing input metadata is deliberate: phones write GPS, make, model and times there.
        self.container.metadata.clear()
        self.stream = self.container.add_stream("libx264", rate=reader.rate)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.time_base = reader.time_base
        self.stream.codec_context.time_base = reader.time_base
        self.stream.options = dict(_ENCODER_OPTIONS)
        self.audio_out: av.audio.stream.AudioStream | None = None
        self._audio_encoder: AudioReencoder | AudioPatcher | None = None
        if reader.audio is not None:
            self._add_audio(reader.audio)
        self.frames_written = 0

    def _add_audio(self, audio_in: av.audio.stream.AudioStream) -> None:
        name = audio_in.codec_context.name
        if name in _COPYABLE_AUDIO and self.audio_edit is None:
            self.audio_out = self.container.add_stream_from_template(audio_in)
        elif self.audio_edit is not None and AudioPatcher.fits(audio_in):
            # only the stretches the edit changes are encoded again; the rest is copied
            self.audio_out = self.container.add_stream_from_template(audio_in)
            self._audio_encoder = AudioPatcher(audio_in, self.audio_out, self.audio_edit)
        else:
            self.audio_out = self.container.add_stream("aac", rate=audio_in.codec_context.sample_rate or 48000)
            self._audio_encoder = AudioReencoder(audio_in, self.audio_out, self.audio_edit)
        self.audio_out.metadata.clear()

    def write(self, frame: YuvFrame) -> None:
        """Encodes one frame with its original timestamp (keeps variable frame rate)."""
        out = frame.to_av_frame()
        out.pts = frame.pts
        out.time_base = self.reader.time_base
        out.pict_type = av.video.frame.PictureType.NONE
        self._mux(self.stream.encode(out))
        self.frames_written += 1
        self._flush_audio()

    def _flush_audio(self) -> None:
        for packet in self.reader.take_audio_packets():
            if self._audio_encoder is not None:
                self._mux(self._audio_encoder.encode(packet))
            elif self.audio_out is not None:
                packet.stream = self.audio_out
                self.container.mux(packet)

    def _mux(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self.container.mux(packet)

    def close(self) -> None:
        """Flushes the encoders and finishes the file."""
        try:
            self._mux(self.stream.encode(None))
            self._flush_audio()
            if self._audio_encoder is not None:
                self._mux(self._audio_encoder.flush())
        finally:
            self.container.close()


class AudioPatcher:
    """Copies an AAC-LC sound track packet for packet, except where ``edit`` changes it: those packets, and
    ``MARGIN`` on each side (where the splice's overlap with the copied packets falls), are decoded, edited
    and encoded again, each stretch by an encoder of its own. Every packet is decoded, so the edit sees
    every frame in order and the decoder's state is always right. The rest of the track is the input's
    bytes, and the track keeps its packet count and timestamps."""

    MARGIN = 2
    MAX_STRETCH = 1000  # packets (about 21 s at 48 kHz) encoded in one go

    def __init__(self, audio_in: av.audio.stream.AudioStream, audio_out: av.audio.stream.AudioStream,
                 edit: AudioEdit) -> None:
        self.edit = edit
        self.audio_in = audio_in
        self.audio_out = audio_out
        self.pending: deque[list[Any]] = deque()  # [packet, edited frames, changed]
        self.stretch: list[list[Any]] = []
        self.trail = 0
        self.packets_reencoded = 0

    @staticmethod
    def fits(audio_in: av.audio.stream.AudioStream) -> bool:
        """Whether a track can be patched (AAC-LC, whose frames an encoder here can match)."""
        context = audio_in.codec_context
        return context.name == "aac" and (context.profile or "LC") == "LC" and bool(context.sample_rate)

    def encode(self, packet: av.Packet) -> list[av.Packet]:
        """Takes one input packet; returns the output packets that are final (a few packets later)."""
        decoded = list(self.audio_in.codec_context.decode(packet))
        edited = [self.edit(frame) for frame in decoded]
        changed = any(e is not d for e, d in zip(edited, decoded, strict=True))
        if changed:
            for entry in self.pending:  # the margin before (at most MARGIN packets are held)
                entry[2] = True
            self.trail = self.MARGIN
        elif self.trail:  # the margin after
            changed, self.trail = True, self.trail - 1
        self.pending.append([packet, edited, changed])
        out: list[av.Packet] = []
        while len(self.pending) > self.MARGIN:
            out.extend(self._emit(self.pending.popleft()))
        return out

    def flush(self) -> list[av.Packet]:
        """The packets still held back."""
        out: list[av.Packet] = []
        while self.pending:
            out.extend(self._emit(self.pending.popleft()))
        return out + self._close_stretch()

    def _emit(self, entry: list[Any]) -> list[av.Packet]:
        packet, _frames, changed = entry
        if changed:
            # a long stretch (a whole track silenced) is encoded in parts, so memory stays bounded
            out = self._close_stretch() if len(self.stretch) >= self.MAX_STRETCH else []
            self.stretch.append(entry)
            return out
        out = self._close_stretch()
        packet.stream = self.audio_out
        return [*out, packet]

    def _close_stretch(self) -> list[av.Packet]:
        """Encodes the held stretch again and gives its packets the originals' timestamps."""
        if not self.stretch:
            return []
        originals = [entry[0] for entry in self.stretch]
        frames = [frame for entry in self.stretch for frame in entry[1]]
        self.stretch = []
        context = self.audio_in.codec_context
        encoder = av.CodecContext.create("aac", "w")
        encoder.sample_rate, encoder.layout, encoder.format = context.sample_rate, context.layout, "fltp"
        encoder.bit_rate = context.bit_rate or self.audio_in.bit_rate or 128_000
        encoder.time_base = Fraction(1, context.sample_rate)
        resampler = av.AudioResampler(format="fltp", layout=context.layout, rate=context.sample_rate)
        encoded: list[av.Packet] = []
        for frame in [*frames, None]:
            for resampled in resampler.resample(frame):
                resampled.pts = None
                encoded.extend(encoder.encode(resampled))
        encoded.extend(encoder.encode(None))
        # The encoder's first packet primes it (its delay): the rest line up with the input's packets.
        encoded = encoded[len(encoded) - len(originals):] if len(encoded) >= len(originals) else encoded
        if len(encoded) != len(originals):
            raise RedactionError("the sound track could not be re-encoded in step; nothing was written")
        for new, old in zip(encoded, originals, strict=True):
            new.pts, new.dts, new.duration, new.time_base = old.pts, old.dts, old.duration, old.time_base
            new.stream = self.audio_out
        self.packets_reencoded += len(encoded)
        return encoded


class AudioReencoder:
    """Decodes audio packets and encodes them to the output stream's codec (for PCM in MP4, say)."""

    def __init__(self, audio_in: av.audio.stream.AudioStream, audio_out: av.audio.stream.AudioStream,
                 edit: AudioEdit | None = None) -> None:
        self.edit = edit
        self.audio_in = audio_in
        self.audio_out = audio_out
        self.resampler = av.AudioResampler(format="fltp", layout=audio_in.codec_context.layout.name or "stereo",
                                           rate=audio_out.codec_context.sample_rate)

    def encode(self, packet: av.Packet) -> list[av.Packet]:
        """Decodes one input packet and returns the encoded output packets."""
        out: list[av.Packet] = []
        for decoded in self.audio_in.codec_context.decode(packet):
            frame = self.edit(decoded) if self.edit is not None else decoded
            for resampled in self.resampler.resample(frame):
                resampled.pts = None
                out.extend(self.audio_out.encode(resampled))
        return out

    def flush(self) -> list[av.Packet]:
        """Drains the encoder."""
        out: list[av.Packet] = []
        for resampled in self.resampler.resample(None):
            out.extend(self.audio_out.encode(resampled))
        out.extend(self.audio_out.encode(None))
        return out


def _reason(exc: av.FFmpegError) -> str:
    """A short reason from an FFmpeg error, without the file path it may quote."""
    return getattr(exc, "strerror", None) or exc.__class__.__name__
