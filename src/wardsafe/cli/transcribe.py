"""``wardsafe transcribe``: a transcript of a recording with other people's identifiers replaced by their type."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from wardsafe.errors import InputError
from wardsafe.redact.transcript import FORMATS, write_transcript


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
        from wardsafe.media.probe import probe
        from wardsafe.redact.audio_job import sound_facts
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
            words, turns, removed, rtf = write_transcript(
                source, output, detector, progress=lambda done: bar.update(task, completed=done))
        if not quiet:
            Console(highlight=False).print(
                f"transcribed {source.name} -> {output}: {words} word(s) in {turns} turn(s), "
                f"{removed} identifier(s) removed, {rtf:.3f} x real time")
