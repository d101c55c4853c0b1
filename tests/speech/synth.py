"""Speech to test with: espeak-ng or flite phrase by phrase (so each phrase's place is known), an optional phone
chain (300-3400 Hz band, 8 kHz, noise), and the checks a listener makes (is this stretch a 1 kHz tone,
silence, or the very samples that went in?). Shared by tests/speech and bench/speech.py."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

ESPEAK = shutil.which("espeak-ng")
FLITE = shutil.which("flite")
# A voice named "flite:NAME" is one of flite's (slt, rms, awb, kal16: 16 kHz); any other name is espeak-ng's.
# espeak-ng's formant voice carries much of its consonants above 3.4 kHz, which a phone band removes; flite's
# voices are built from recorded speech (slt: statistical parametric; kal16: diphones), closer to a person.
FLITE_PREFIX = "flite:"


@dataclass(frozen=True)
class Piece:
    """One synthesised phrase: its words, what identifier it is (None for ordinary speech), and where its
    voiced part lies in the file (seconds; the silence espeak puts around a phrase is left out)."""

    text: str
    kind: str | None
    start_s: float
    end_s: float


def espeak(text: str, voice: str = "en-gb", speed: int = 150) -> tuple[np.ndarray, int]:
    """``text`` spoken by espeak-ng: int16 mono samples and their rate."""
    assert ESPEAK is not None, "espeak-ng is not installed (make setup installs it)"
    wav = subprocess.run([ESPEAK, "-v", voice, "-s", str(speed), "--stdout", text], capture_output=True,
                         check=True).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        return np.frombuffer(reader.readframes(reader.getnframes()), np.int16).copy(), reader.getframerate()


def flite(text: str, voice: str = "slt", speed: int = 150) -> tuple[np.ndarray, int]:
    """``text`` spoken by flite's ``voice``: int16 mono samples and their rate. ``speed`` is in words per
    minute as for espeak-ng, 150 being flite's own pace (duration_stretch 1)."""
    assert FLITE is not None, "flite is not installed (make setup installs it)"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        subprocess.run([FLITE, "-voice", voice, "--setf", f"duration_stretch={150 / speed:.3f}", "-t", text,
                        "-o", str(path)], capture_output=True, check=True)
        with wave.open(str(path)) as reader:
            return np.frombuffer(reader.readframes(reader.getnframes()), np.int16).copy(), reader.getframerate()


def speak(text: str, voice: str = "en-gb", speed: int = 150) -> tuple[np.ndarray, int]:
    """``text`` spoken by ``voice`` (an espeak-ng voice, or "flite:NAME"): int16 mono samples and their rate."""
    if voice.startswith(FLITE_PREFIX):
        return flite(text, voice[len(FLITE_PREFIX):], speed)
    return espeak(text, voice, speed)


def _voiced(samples: np.ndarray) -> tuple[int, int]:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 0.02 * 32767)
    return (int(loud[0]), int(loud[-1]) + 1) if loud.size else (0, 0)


def phone_chain(samples: np.ndarray, rate: int, seed: int = 0, snr_db: float = 20.0) -> tuple[np.ndarray, int]:
    """``samples`` as over a phone: band-limited to 300-3400 Hz, resampled to 8 kHz, with white noise."""
    x = samples.astype(np.float64) / 32767
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(x.size, 1 / rate)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    band = np.fft.irfft(spectrum, x.size)
    out_rate = 8000
    t_out = np.arange(int(x.size * out_rate / rate)) / out_rate
    narrow = np.interp(t_out, np.arange(x.size) / rate, band)
    power = np.mean(narrow ** 2) or 1e-9
    noise = np.random.default_rng(seed).normal(0, np.sqrt(power / 10 ** (snr_db / 10)), narrow.size)
    return np.clip((narrow + noise) * 32767, -32768, 32767).astype(np.int16), out_rate


def synthesise(parts: list[tuple[str, str | None]], path: Path, voice: str = "en-gb", speed: int = 150,
               gap_s: float = 0.35, phone: bool = False) -> list[Piece]:
    """Writes ``parts`` (text, identifier kind or None), spoken by ``voice`` (see :func:`speak`), as one WAV
    with ``gap_s`` of silence between phrases; returns where each phrase's voice lies."""
    chunks: list[np.ndarray] = []
    pieces: list[Piece] = []
    rate = 22050
    pos = 0
    for text, kind in parts:
        samples, rate = speak(text, voice, speed)
        a, b = _voiced(samples)
        pieces.append(Piece(text, kind, (pos + a) / rate, (pos + b) / rate))
        chunks.append(samples)
        gap = np.zeros(int(gap_s * rate), np.int16)
        chunks.append(gap)
        pos += samples.size + gap.size
    audio = np.concatenate(chunks)
    if phone:
        audio, rate = phone_chain(audio, rate)
    write_wav(path, audio, rate)
    return pieces


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    """``samples`` (int16, interleaved when ``channels`` > 1) as a plain PCM WAV."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.astype(np.int16).tobytes())
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """int16 samples (frames x channels) and rate of a 16-bit PCM WAV (any channel layout), as stored."""
    out: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "pcm_s16le", stream.codec_context.name
        channels = stream.codec_context.channels
        for frame in container.decode(stream):
            out.append(frame.to_ndarray().reshape(-1, channels))
        return np.concatenate(out), stream.codec_context.sample_rate


def decode(path: Path) -> tuple[np.ndarray, int]:
    """Any file's first sound track decoded to float mono (mean of channels), with its rate."""
    out: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            out.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(frame))
        out.extend(r.to_ndarray().reshape(-1) for r in resampler.resample(None))
    return (np.concatenate(out) if out else np.zeros(0, np.float32)), rate


def tone_share(samples: np.ndarray, rate: int) -> float:
    """Share of a stretch's energy within 25 Hz of 1 kHz (about 1 for a bleep, near 0 for speech)."""
    x = samples.astype(np.float64).reshape(-1)
    if x.size < rate // 50:
        return 0.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / rate)
    total = spectrum.sum()
    return float(spectrum[np.abs(freqs - 1000) <= 25].sum() / total) if total else 0.0


def hidden_share(before: np.ndarray, after: np.ndarray, rate: int, piece: Piece, mode: str = "bleep",
                 window_s: float = 0.05) -> float:
    """Share of ``piece``'s voiced windows that are a tone (bleep) or silent (mute) in ``after``."""
    a, b = int(piece.start_s * rate), int(piece.end_s * rate)
    size = max(1, int(window_s * rate))
    wins = [(s, min(s + size, b)) for s in range(a, b, size) if min(s + size, b) - s >= size // 2]
    if not wins:
        return 1.0
    ok = 0
    for s, e in wins:
        seg = after[s:e].astype(np.float64)
        if mode == "bleep":
            ok += tone_share(seg, rate) > 0.8 and np.sqrt(np.mean(seg ** 2)) > 0.05 * np.abs(seg).max(initial=1e-9)
        else:
            ok += np.sqrt(np.mean(seg ** 2)) < 1e-3 * max(1.0, float(np.abs(before).max()))
    return ok / len(wins)
