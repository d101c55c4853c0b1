"""Bad sound: one clear error and no output, or handled in full. Never a traceback, never a partial file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from tests.speech.conftest import FIXTURES, WARDSAFE, wardsafe
from tests.speech.synth import Piece, hidden_share, read_wav, write_wav

CLIP = FIXTURES / "ps_librivox_0880.wav"


def refused(source: Path, out: Path, says: str) -> None:
    run = wardsafe("redact", str(source), "-o", str(out))
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and says in lines[0], run.stderr
    assert not out.exists() and not list(out.parent.glob(f"{out.stem}*.report.json"))


def test_empty_truncated_and_mislabelled_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    refused(empty, tmp_path / "o1.wav", "empty")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(CLIP.read_bytes()[: CLIP.stat().st_size // 2])
    refused(cut, tmp_path / "o2.wav", "truncated")
    picture = tmp_path / "picture.mp3"
    shutil.copy(Path(__file__).resolve().parents[1] / "fixtures" / "photo_exif.jpg", picture)
    refused(picture, tmp_path / "o3.mp3", "JPEG image")
    notes = tmp_path / "notes.m4a"
    notes.write_text("not a recording\n")
    refused(notes, tmp_path / "o4.m4a", "text")


def test_mislabelled_but_real_sound_is_handled(tmp_path: Path) -> None:
    # an MP3 named .wav: its content decides, and the output is a real WAV of the same length
    mp3 = tmp_path / "clip.mp3"
    assert wardsafe("redact", str(CLIP), "-o", str(mp3), "--audio", "keep").returncode == 0
    named_wav = tmp_path / "clip.wav"
    mp3.rename(named_wav)
    out = tmp_path / "out.wav"
    assert wardsafe("redact", str(named_wav), "-o", str(out)).returncode == 0
    samples, rate = read_wav(out)
    assert abs(len(samples) / rate - len(read_wav(CLIP)[0]) / 16000) < 0.1


def test_silent_and_very_short_sound_is_copied_unchanged(tmp_path: Path) -> None:
    silent = write_wav(tmp_path / "silent.wav", np.zeros(3 * 16000, np.int16), 16000)
    short = write_wav(tmp_path / "short.wav", read_wav(CLIP)[0][:1600, 0], 16000)  # 0.1 s
    for source in (silent, short):
        out = tmp_path / f"{source.stem}.out.wav"
        run = wardsafe("redact", str(source), "-o", str(out))
        assert run.returncode == 0, run.stderr
        assert (read_wav(out)[0] == read_wav(source)[0]).all()


def test_eight_channels_at_384_khz_are_bleeped_on_every_channel(
    conversation: tuple[Path, list[Piece]], tmp_path: Path
) -> None:
    source, pieces = conversation
    mono, rate = read_wav(source)
    high = 384_000
    t = np.arange(int(len(mono) * high / rate)) / high
    upsampled = np.interp(t, np.arange(len(mono)) / rate, mono[:, 0].astype(np.float64)).astype(np.int16)
    eight = np.repeat(upsampled[:, None], 8, axis=1)
    wide = write_wav(tmp_path / "wide.wav", eight.reshape(-1), high, channels=8)
    out = tmp_path / "wide.out.wav"
    run = wardsafe("redact", str(wide), "-o", str(out))
    assert run.returncode == 0, run.stderr
    after, out_rate = read_wav(out)
    assert out_rate == high and after.shape == eight.shape
    date = next(p for p in pieces if p.kind == "DATE_OF_BIRTH")
    for channel in (0, 7):
        assert hidden_share(eight[:, channel], after[:, channel], high, date) > 0.95


def test_video_with_a_damaged_sound_track_is_refused(tmp_path: Path) -> None:
    video = tmp_path / "ward.mp4"
    from tests.speech.test_redact_speech import _video_with_sound

    _video_with_sound(CLIP, video, seconds=2.0)
    with av.open(str(video)) as container:
        packets = [(p.pos, p.size) for p in container.demux(container.streams.audio[0]) if p.pos and p.size]
    with open(video, "r+b") as handle:  # scribble over the sound, not the pictures
        for pos, size in packets[5:]:
            handle.seek(pos)
            handle.write(b"\xff" * size)
    refused(video, tmp_path / "ward.out.mp4", "sound track")


@pytest.mark.parametrize("minutes", [60])
def test_an_hour_of_sound_streams_in_bounded_memory(tmp_path: Path, minutes: int) -> None:
    """An hour (a 3-hour recording behaves the same: nothing grows with length): quiet room tone with
    a 1 s beep every 5 minutes, 8 kHz. The whole hour at Whisper's 16 kHz would be 230 MB."""
    rate = 8000
    long = tmp_path / "long.wav"
    rng = np.random.default_rng(0)
    with open(long, "wb"):
        pass
    import wave

    with wave.open(str(long), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        for minute in range(minutes):
            block = rng.normal(0, 30, 60 * rate)
            if minute % 5 == 0:
                block[: rate] += 3000 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
            writer.writeframes(block.astype(np.int16).tobytes())
    out = tmp_path / "long.out.wav"
    peak_kb = _peak_rss_kb("redact", str(long), "-o", str(out))
    baseline_kb = _peak_rss_kb("redact", str(CLIP), "-o", str(tmp_path / "clip.out.wav"))
    with av.open(str(long)) as a, av.open(str(out)) as b:
        assert b.streams.audio[0].duration == a.streams.audio[0].duration
    assert peak_kb - baseline_kb < 150_000, (peak_kb, baseline_kb)


def _peak_rss_kb(*args: str) -> int:
    """Peak resident memory of one ``wardsafe`` run (measured in a fresh parent, so no other child counts)."""
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True); "
             "assert r.returncode == 0, r.stderr; print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    run = subprocess.run([sys.executable, "-c", probe, str(WARDSAFE), *args], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    return int(run.stdout.strip())
