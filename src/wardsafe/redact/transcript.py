"""Transcripts of consultation recordings: words as heard, turns split at pauses, and other people's
identifiers replaced by their type. Used by ``wardsafe transcribe`` and by safe-share jobs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wardsafe.identifiers.model import IdentifierType
from wardsafe.identifiers.spoken import Finding, Word, find_in_speech
from wardsafe.media.atomic import atomic_output
from wardsafe.redact.audio_spans import ChunkProgress, hear

if TYPE_CHECKING:
    from wardsafe.detect.speech import WhisperSpeech

FORMATS = (".txt", ".vtt", ".srt", ".json")
# A word the recogniser is less sure of than this is marked "(?)" after it.
LOW_CONFIDENCE = 0.5
# A silence at least this long starts a new turn (a change of speaker, often).
TURN_PAUSE_S = 1.5
SPEAKERS_NOTE = (f"Turns are split at pauses of {TURN_PAUSE_S:g} s or more; speakers are not identified "
                 "(no speaker-separation model ships with WardSafe).")


@dataclass
class Turn:
    """A stretch of speech between pauses: its times, its text with identifiers replaced, and counts."""

    start_s: float
    end_s: float
    text: str
    unsure_words: int


def label(kind: str) -> str:
    """``[DATE OF BIRTH]`` for DATE_OF_BIRTH, ``[NUMBER]`` for an unclaimed long number."""
    try:
        return f"[{IdentifierType(kind).label}]"
    except ValueError:
        return f"[{kind.replace('_', ' ')}]"


def turns_of(words: list[Word], findings: list[Finding]) -> list[Turn]:
    """The transcript as turns: each identifier's words become one ``[TYPE]``, unsure words get "(?)"."""
    starts = {f.first: f for f in findings}
    turns: list[Turn] = []
    tokens: list[str] = []
    unsure = 0
    begin = end = 0.0
    i = 0
    while i < len(words):
        word = words[i]
        if tokens and word.start_s - end >= TURN_PAUSE_S:
            turns.append(Turn(begin, end, " ".join(tokens), unsure))
            tokens, unsure = [], 0
        if not tokens:
            begin = word.start_s
        found = starts.get(i)
        if found is not None:
            tokens.append(label(found.kind))
            end = words[found.last].end_s
            i = found.last + 1
            continue
        text = word.text.strip()
        if word.probability < LOW_CONFIDENCE:
            text += "(?)"
            unsure += 1
        tokens.append(text)
        end = word.end_s
        i += 1
    if tokens:
        turns.append(Turn(begin, end, " ".join(tokens), unsure))
    return turns


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(turns: list[Turn], findings: list[Finding], words: list[Word], fmt: str, model: str, source: str) -> str:
    """The transcript in ``fmt`` (one of FORMATS)."""
    if fmt == ".json":
        return json.dumps({
            "source": source, "model": model, "speakers": SPEAKERS_NOTE,
            "low_confidence_below": LOW_CONFIDENCE,
            "turns": [{"turn": n + 1, "start_s": round(t.start_s, 2), "end_s": round(t.end_s, 2), "text": t.text,
                       "low_confidence_words": t.unsure_words} for n, t in enumerate(turns)],
            # types and times only, never what was said
            "identifiers_removed": [{"kind": f.kind, "start_s": round(words[f.first].start_s, 2),
                                     "end_s": round(words[f.last].end_s, 2)} for f in findings],
        }, indent=2) + "\n"
    if fmt == ".srt":
        return "\n".join(f"{n + 1}\n{_clock(t.start_s, ',')} --> {_clock(t.end_s, ',')}\n{t.text}\n"
                         for n, t in enumerate(turns))
    if fmt == ".vtt":
        cues = "\n".join(f"{_clock(t.start_s, '.')} --> {_clock(t.end_s, '.')}\n{t.text}\n" for t in turns)
        return f"WEBVTT\n\nNOTE {SPEAKERS_NOTE}\n\n{cues}"
    head = (f"Transcript of {source} ({model}). Identifiers are replaced by their type, e.g. [NAME]; "
            f"words marked (?) were heard with low confidence. {SPEAKERS_NOTE}\n\n")
    return head + "\n".join(f"[{_clock(t.start_s, '.')[:8]}] Turn {n + 1}: {t.text}" for n, t in enumerate(turns)) \
        + "\n"


def write_transcript(source: Path, output: Path, detector: WhisperSpeech, progress: ChunkProgress | None = None
                     ) -> tuple[int, int, int, float]:
    """Hears ``source`` and writes its transcript to ``output`` (format from its suffix), whole or not at all.
    Returns (words, turns, identifiers removed, real-time factor)."""
    heard = hear(source, [detector], progress=progress)
    findings = find_in_speech(heard.words, detector.hide_names, detector.keep_names)
    turns = turns_of(heard.words, findings)
    with atomic_output(output) as tmp:
        tmp.write_text(render(turns, findings, heard.words, output.suffix.lower(), detector.model_name, source.name),
                       encoding="utf-8")
    return len(heard.words), len(turns), len(findings), heard.real_time_factor
