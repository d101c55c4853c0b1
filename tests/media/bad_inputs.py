"""Builders of broken and hostile input files, made fresh in a test's temporary folder.

Each returns the path it wrote. They are small and fast; any test (media, redact, CLI, web)
may use them: ``from media.bad_inputs import truncated_copy``.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import av
import numpy as np
from PIL import Image

from wardsafe.media.isobmff import top_level_boxes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLIP = FIXTURES / "clip.mp4"


def empty_file(folder: Path, name: str = "empty.mp4") -> Path:
    """A zero-byte file."""
    path = folder / name
    path.write_bytes(b"")
    return path


def truncated_copy(folder: Path, source: Path = CLIP, fraction: float = 0.5, name: str | None = None) -> Path:
    """The first ``fraction`` of ``source``: an interrupted copy or download."""
    data = source.read_bytes()
    path = folder / (name or f"truncated{source.suffix}")
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def faststart_copy(folder: Path, source: Path = CLIP, name: str = "faststart.mp4") -> Path:
    """``source`` remuxed with its index (moov) before the media data, as streaming-ready files are."""
    path = folder / name
    with av.open(str(source)) as src, av.open(str(path), "w", options={"movflags": "faststart"}) as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams if s.type in ("video", "audio")}
        for packet in src.demux(list(src.streams)):
            if packet.dts is None or packet.stream.index not in streams:
                continue
            packet.stream = streams[packet.stream.index]
            dst.mux(packet)
    return path


def text_named(folder: Path, name: str = "notes.mp4") -> Path:
    """A text file with a media file's name."""
    path = folder / name
    path.write_text("Patient list, bay 2\nnot a video at all\n")
    return path


def audio_only_mp4(folder: Path, name: str = "voice.mp4", seconds: float = 0.5) -> Path:
    """An MP4 that holds only an AAC sound track (a voice memo named like a video)."""
    return audio_file(folder, name, "aac", seconds)


def renamed(folder: Path, source: Path, name: str) -> Path:
    """A copy of ``source`` under a name whose extension does not match its content."""
    path = folder / name
    path.write_bytes(source.read_bytes())
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png_header(folder: Path, width: int = 30000, height: int = 30000, name: str = "huge.png") -> Path:
    """A 60-byte PNG whose header claims ``width`` x ``height`` pixels (its pixel data is missing)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path = folder / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b""))
    return path


def png_bomb(folder: Path, side: int = 30000, name: str = "bomb.png") -> Path:
    """A complete, valid 1-bit ``side`` x ``side`` PNG of one colour: about 100 KB that decodes to 900 MP."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    body = io.BytesIO()
    chunk = row * 256
    for _ in range(side // 256):
        body.write(compressor.compress(chunk))
    body.write(compressor.compress(row * (side % 256)))
    body.write(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path = folder / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body.getvalue())
                     + _png_chunk(b"IEND", b""))
    return path


def jpeg_bomb(folder: Path, width: int = 30000, height: int = 30000, name: str = "bomb.jpg") -> Path:
    """A tiny JPEG whose frame header (SOF0) is rewritten to claim ``width`` x ``height`` pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "grey").save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    # SOF0: marker(2) length(2) precision(1) height(2) width(2)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    path = folder / name
    path.write_bytes(bytes(data))
    return path


def unknown_codec_mp4(folder: Path, source: Path = CLIP, name: str = "unknown_codec.mp4") -> Path:
    """A copy of ``source`` whose video sample entry names a codec nobody knows ('wsx1' instead of 'avc1')."""
    data = source.read_bytes()
    at = data.index(b"avc1", data.index(b"stsd"))
    path = folder / name
    path.write_bytes(data[:at] + b"wsx1" + data[at + 4 :])
    return path


def garbage_video_data(folder: Path, source: Path = CLIP, name: str = "garbage.mp4") -> Path:
    """A copy of ``source`` with an intact index but its media data overwritten with noise."""
    data = bytearray(source.read_bytes())
    mdat = next(box for box in top_level_boxes(source) if box.type == "mdat")
    noise = np.random.default_rng(1).integers(0, 256, mdat.end - mdat.payload_offset, dtype=np.uint8)
    data[mdat.payload_offset : mdat.end] = noise.tobytes()
    path = folder / name
    path.write_bytes(bytes(data))
    return path


def truncated_jpeg(folder: Path, source: Path = FIXTURES / "photo_exif.jpg", name: str = "cut.jpg") -> Path:
    """The first 60% of a JPEG: the header is intact, the picture data stops part-way."""
    return truncated_copy(folder, source, 0.6, name)


def audio_file(folder: Path, name: str, codec: str, seconds: float = 0.4) -> Path:
    """A short tone as an audio file: ``codec`` "pcm_s16le" for .wav, "libmp3lame" for .mp3, "aac" for .mp4/.m4a."""
    path = folder / name
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=44100)
        stream.layout = "mono"
        sample_format = "s16" if codec == "pcm_s16le" else "fltp"
        tone = 0.2 * np.sin(2 * np.pi * 330 * np.arange(int(44100 * seconds)) / 44100)
        samples = (tone * 32767).astype(np.int16) if sample_format == "s16" else tone.astype(np.float32)
        step = stream.codec_context.frame_size or 1024  # encoders with a fixed frame size need exactly that
        for i in range(0, len(samples), step):
            frame = av.AudioFrame.from_ndarray(samples[None, i : i + step], format=sample_format, layout="mono")
            frame.sample_rate = 44100
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def silent_copy(folder: Path, source: Path = CLIP, name: str = "silent.mp4") -> Path:
    """``source`` with its sound track left out (a screen recording, or a phone with sound off)."""
    path = folder / name
    with av.open(str(source)) as src, av.open(str(path), "w") as dst:
        video = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = video
            dst.mux(packet)
    return path
