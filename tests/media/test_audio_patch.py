"""A video's AAC sound track is encoded again only where spoken identifiers are hidden: every other packet
is the input's bytes, the track keeps its packet count and timestamps, and the hidden stretch is changed."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from wardsafe.detect.seam import Span
from wardsafe.media.video import VideoReader, VideoWriter
from wardsafe.redact.audio import SampleHider

RATE = 48_000


def _video_with_sweep(path: Path, seconds: float = 4.0) -> None:
    """A small video whose sound is a rising tone (AAC-LC, as phones record it)."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=15)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        audio = out.add_stream("aac", rate=RATE, layout="mono")
        for i in range(int(seconds * 15)):
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), 90 + i, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        t = np.arange(int(seconds * RATE)) / RATE
        sound = (0.3 * np.sin(2 * np.pi * 440 * t * (1 + t / 4))).astype(np.float32)
        for start in range(0, len(sound), 1024):
            chunk = av.AudioFrame.from_ndarray(sound[None, start:start + 1024], format="fltp", layout="mono")
            chunk.sample_rate = RATE
            out.mux(audio.encode(chunk))
        for stream in (audio, video):
            out.mux(stream.encode(None))


def _packets(path: Path) -> list[tuple[int | None, bytes]]:
    with av.open(str(path)) as container:
        return [(p.pts, bytes(p)) for p in container.demux(audio=0) if p.size]


def _sound(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])


def test_only_the_hidden_stretch_is_encoded_again(tmp_path: Path) -> None:
    source, target = tmp_path / "in.mp4", tmp_path / "out.mp4"
    _video_with_sweep(source)
    with VideoReader(source) as reader:
        writer = VideoWriter(target, reader, 160, 120, SampleHider([Span(1.0, 1.5, "NAME")], RATE, "bleep"))
        for frame in reader.frames():
            writer.write(frame)
        writer.close()
    before, after = _packets(source), _packets(target)
    assert [pts for pts, _ in before] == [pts for pts, _ in after]
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a[1] != b[1]]
    per_packet = 1024 / RATE
    # the 0.5 s hidden, and a couple of packets either side where the splice's overlap falls
    assert 0.5 / per_packet <= len(changed) <= 0.5 / per_packet + 8
    assert changed == list(range(changed[0], changed[-1] + 1)), "one stretch"
    first, last = (before[changed[0]][0] or 0) / RATE, (before[changed[-1]][0] or 0) / RATE + per_packet
    assert 1.0 - 6 * per_packet <= first <= 1.0 and 1.5 <= last <= 1.5 + 6 * per_packet, (first, last)
    a, b = _sound(source), _sound(target)
    assert len(a) == len(b)
    # The same bytes decode alike, to far below what 16-bit sound can tell (the decoder's floats wobble).
    assert np.abs(a[: int(0.9 * RATE)] - b[: int(0.9 * RATE)]).max() < 1e-5
    assert np.abs(a[int(1.7 * RATE):] - b[int(1.7 * RATE):]).max() < 1e-5
    assert np.abs(a[int(1.05 * RATE): int(1.45 * RATE)] - b[int(1.05 * RATE): int(1.45 * RATE)]).mean() > 0.05
