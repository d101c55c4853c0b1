"""``wardsafe transcribe``: a transcript of a recording with other people's identifiers replaced by their type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from wardsafe.errors import InputError
from wardsafe.identifiers.model import IdentifierType
from wardsafe.identifiers.spoken import Finding, Word, find_in_speech

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


def register(app: typer.Typer) -> None:
    """Adds the transcribe command to the CLI."""

    @app.command()
    def transcribe(
        source: Path = typer.Argument(..., help="A recording: audio (WAV, M4A, AAC, MP3, OGG, Opus) or video."),
        output: Path = typer.Option(..., "-o", "--output",
                                    help="Transcript file; its extension sets the format: .txt, .vtt, .srt or .json."),
        keep_names: list[str] = typer.Option([], "--keep-name",
                                             help="A name to leave in the transcript, e.g. the patient's own."),
        hide_names: list[str] = typer.Option([], "--hide-name",
                                             help="A name to remove wherever it is said, in full or in part."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    ) -> None:
        """Transcribe a consultation recording, with names, dates of birth, NHS and phone numbers replaced by their type ([NAME], [DATE OF BIRTH] ...).

        Words heard with low confidence are marked (?). Turns are split at pauses; speakers are not identified. The transcript is written whole or not at all.
        """  # noqa: E501 (one line per paragraph: the help text is wrapped by the terminal)
        from wardsafe.detect.registry import build_speech_detector
        from wardsafe.media.atomic import atomic_output
        from wardsafe.media.probe import probe
        from wardsafe.redact.audio_job import sound_facts
        from wardsafe.redact.audio_spans import hear
        from wardsafe.redact.options import RedactOptions

        fmt = output.suffix.lower()
        if fmt not in FORMATS:
            raise InputError(f"{output.name}: the transcript must end in one of {', '.join(FORMATS)}")
        info = probe(source)
        if info.kind == "image":
            raise InputError(f"{source.name}: is a photo; transcribe takes audio or video")
        if not info.has_audio:
            raise InputError(f"{source.name}: has no sound track")
        _, duration = sound_facts(source)
        detector = build_speech_detector(RedactOptions(hide_names=tuple(hide_names), keep_names=tuple(keep_names)))
        console = Console(stderr=True, quiet=quiet)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeRemainingColumn(), console=console, transient=True) as bar:
            task = bar.add_task(f"transcribing {source.name}", total=duration or None)
            heard = hear(source, [detector], progress=lambda done: bar.update(task, completed=done))
        findings = find_in_speech(heard.words, detector.hide_names, detector.keep_names)
        turns = turns_of(heard.words, findings)
        with atomic_output(output) as tmp:
            tmp.write_text(render(turns, findings, heard.words, fmt, detector.model_name, source.name),
                           encoding="utf-8")
        if not quiet:
            Console(highlight=False).print(
                f"transcribed {source.name} -> {output}: {len(heard.words)} word(s) in {len(turns)} turn(s), "
                f"{len(findings)} identifier(s) removed, {heard.real_time_factor:.3f} x real time")
