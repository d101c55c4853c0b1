"""Which stretches of a sound track to hide: speech detectors over streamed chunks, then padded and merged."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wardsafe.detect.seam import Span, SpeechDetector
from wardsafe.detect.speech import WhisperSpeech
from wardsafe.identifiers.spoken import Word
from wardsafe.media.audio import SPEECH_RATE, speech_chunks

# Seconds of sound added before and after every identifier (word timings are within about 0.2 s).
DEFAULT_PAD_S = 0.3

ChunkProgress = Callable[[float], None]  # seconds of sound heard so far


@dataclass
class Heard:
    """What the speech stage found in one sound track: the words (for transcripts), the spans to hide
    (unpadded), how long the track is and how long hearing it took."""

    words: list[Word] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    duration_s: float = 0.0
    seconds: float = 0.0

    @property
    def real_time_factor(self) -> float:
        """Seconds of work per second of sound."""
        return self.seconds / self.duration_s if self.duration_s else 0.0


def hear(path: Path, detectors: Sequence[SpeechDetector], index: int = 0,
         progress: ChunkProgress | None = None) -> Heard:
    """Runs the speech detectors over ``path``'s ``index``-th sound track, chunk by chunk (bounded memory).

    Whisper's words are stitched across chunks and matched once, so a date said across a chunk boundary is
    still one phrase; another kind of detector is asked for spans chunk by chunk.
    """
    started = time.perf_counter()
    heard = Heard()
    for chunk in speech_chunks(path, index=index):
        heard.duration_s = chunk.offset_s + len(chunk.pcm) / SPEECH_RATE
        for detector in detectors:
            if isinstance(detector, WhisperSpeech):
                lo, hi = chunk.own
                for w in detector.words(chunk.pcm, SPEECH_RATE):
                    moved = Word(w.text, w.start_s + chunk.offset_s, w.end_s + chunk.offset_s, w.probability)
                    if lo <= (moved.start_s + moved.end_s) / 2 < hi:
                        heard.words.append(moved)
            else:
                heard.spans.extend(Span(s.start_s + chunk.offset_s, s.end_s + chunk.offset_s, s.kind)
                                   for s in detector.find(chunk.pcm, SPEECH_RATE))
        if progress is not None:
            progress(heard.duration_s)
    for detector in detectors:
        if isinstance(detector, WhisperSpeech):
            heard.spans.extend(detector.spans_of(heard.words))
    heard.spans.sort(key=lambda s: (s.start_s, s.end_s))
    heard.seconds = time.perf_counter() - started
    return heard


def pad_and_merge(spans: Sequence[Span], pad_s: float, duration_s: float | None = None) -> list[Span]:
    """``spans`` grown by ``pad_s`` on each side (within the track) and merged where they touch; a merged
    span keeps the first one's kind."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start_s):
        start = max(0.0, span.start_s - pad_s)
        end = span.end_s + pad_s if duration_s is None else min(duration_s, span.end_s + pad_s)
        if out and start <= out[-1].end_s:
            last = out[-1]
            out[-1] = Span(last.start_s, max(last.end_s, end), last.kind)
        else:
            out.append(Span(start, end, span.kind))
    return out
