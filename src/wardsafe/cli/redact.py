"""``wardsafe redact``: hide faces in photos and videos."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from wardsafe.cli.models import prepare_int8_model
from wardsafe.errors import InputError, RedactionError, WardSafeError
from wardsafe.media.kinds import AUDIO_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.options import AUDIO_MODES, FILTER_KINDS, TEXT_MODES, AudioMode, RedactOptions, TextMode

if TYPE_CHECKING:
    from wardsafe.detect.seam import Detectors
    from wardsafe.redact.pipeline import JobOutcome

_MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES | AUDIO_SUFFIXES


def expand_keep(args: list[str]) -> list[str]:
    """Lets ``--keep 3 7`` (and ``--keep 3,7``) mean ``--keep 3 --keep 7``, as the docs promise."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--keep":
            i += 1
            values: list[str] = []
            while i < len(args) and all(part.strip().isdigit() for part in args[i].split(",") if part.strip()) \
                    and args[i].strip(","):
                values.extend(p.strip() for p in args[i].split(",") if p.strip())
                i += 1
            if not values:
                out.append("--keep")  # let the parser report the missing value
            for value in values:
                out.extend(["--keep", value])
            continue
        out.append(arg)
        i += 1
    return out


def collect_inputs(inputs: list[Path]) -> list[Path]:
    """Files named on the command line, and the photos and videos directly inside named folders."""
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in _MEDIA_SUFFIXES and ".redacted" not in p.suffixes
                           and not p.name.startswith("."))
            if not found:
                raise InputError(f"{path}: folder holds no photos or videos")
            files.extend(found)
        else:
            files.append(path)
    return files


def output_paths(files: list[Path], output: Path | None, report: Path | None, many: bool) -> list[JobPaths]:
    """Where each input's output goes: ``-o FILE``, into ``-o DIR``, or beside the input as ``NAME.redacted.EXT``."""
    if report is not None and many:
        raise InputError("--report names one file; with several inputs each report goes beside its output")
    into_dir = output is not None and (many or output.is_dir() or str(output).endswith(("/", "\\")))
    if into_dir:
        assert output is not None
        output.mkdir(parents=True, exist_ok=True)
    jobs: list[JobPaths] = []
    seen: set[Path] = set()
    for src in files:
        if into_dir:
            assert output is not None
            target = output / src.name
        elif output is not None:
            target = output
        else:
            target = src.with_name(f"{src.stem}.redacted{src.suffix}")
        if target.resolve() in seen:
            raise InputError(f"two inputs would both be written to {target}; rename one of them")
        seen.add(target.resolve())
        jobs.append(JobPaths.beside(target, report))
    return jobs


def register(app: typer.Typer) -> None:
    """Adds the redact command to the CLI."""

    @app.command()
    def redact(
        inputs: list[Path] = typer.Argument(
            ..., help="Photos (JPEG, PNG, HEIC), videos (MP4, MOV, M4V), audio (WAV, M4A, AAC, MP3, OGG, Opus) or "
                      "folders."),
        output: Path | None = typer.Option(
            None, "-o", "--output",
            help="Output file (its extension sets the format), or a folder. Default: NAME.redacted.EXT beside "
                 "each input.",
        ),
        filter_kind: str = typer.Option("blur", "--filter", help="How faces are hidden: blur, pixelate or solid."),
        report: Path | None = typer.Option(
            None, "--report", help="Where to write the JSON report (default: NAME.report.json beside the output)."
        ),
        plan: bool = typer.Option(
            False, "--plan",
            help="Only find and number the people: write NAME.plan.json and a NAME.plan.png contact sheet, "
                 "render nothing. Then choose people to keep with --keep.",
        ),
        keep: list[int] = typer.Option(
            [], "--keep", help="Person numbers (from --plan) to leave visible, e.g. --keep 2 for your own face."
        ),
        threshold: float | None = typer.Option(
            None, "--threshold", min=0.01, max=0.99,
            help="Face detection score above which a face is hidden (lower hides more). Default: tuned value.",
        ),
        text: str = typer.Option(
            "identifiers", "--text",
            help="Written text to hide: identifiers (names, dates of birth, NHS and hospital numbers, phones, "
                 "e-mails, postcodes, addresses), all (every word) or none.",
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
        audio: str = typer.Option(
            "bleep", "--audio",
            help="Spoken identifiers (names, dates of birth, NHS and phone numbers ...) in sound: bleep (a 1 kHz "
                 "tone), mute (silence), keep (sound unchanged) or mute-all (the whole sound track silent).",
        ),
        hide_names: list[str] = typer.Option(
            [], "--hide-name", help="A name to hide wherever it is said or written, in full or in part (repeatable)."
        ),
        keep_names: list[str] = typer.Option(
            [], "--keep-name", help="A name to leave as it is, e.g. the patient's own (repeatable)."
        ),
    ) -> None:
        """Hide every face and every written identifier in photos and videos, except people and names you choose to keep.

        The output keeps the input's size, orientation, frame rate, frame count and sound track, and carries no location, device or time metadata. A JSON report goes beside it. On any failure no output is written and the exit code is non-zero.
        """  # noqa: E501 (one line per paragraph: the help text is wrapped by the terminal)
        if filter_kind not in FILTER_KINDS:
            raise InputError(f"--filter must be one of {', '.join(FILTER_KINDS)}, not {filter_kind!r}")
        if audio not in AUDIO_MODES:
            raise InputError(f"--audio must be one of {', '.join(AUDIO_MODES)}, not {audio!r}")
        if text not in TEXT_MODES:
            raise InputError(f"--text must be one of {', '.join(TEXT_MODES)}, not {text!r}")
        options = RedactOptions(filter=filter_kind, threshold=threshold, keep=frozenset(keep),  # type: ignore[arg-type]
                                audio=cast(AudioMode, audio), text=cast(TextMode, text),
                                hide_names=tuple(hide_names), keep_names=tuple(keep_names))
        files = collect_inputs(inputs)
        many = len(files) > 1 or any(p.is_dir() for p in inputs)
        jobs = output_paths(files, output, report, many)
        console = Console(stderr=True, quiet=quiet)  # progress bars
        stdout = Console(quiet=quiet, highlight=False, soft_wrap=True)
        # Models, OpenCV and FFmpeg load only when there is something to redact (other commands stay quick).
        from wardsafe.detect.registry import build_detectors

        detectors = build_detectors(options)
        if any(p.suffix.lower() in VIDEO_SUFFIXES for p in files):
            # before any progress bar: the first video on a machine may have to build the int8 model
            prepare_int8_model(console.print)
        first_error: WardSafeError | None = None
        for src, paths in zip(files, jobs, strict=True):
            try:
                outcome = _run_one(src, paths, detectors, options, plan, console)
            except WardSafeError as exc:
                typer.echo(f"error: {exc}", err=True)
                first_error = first_error or exc
                continue
            except Exception as exc:  # a bug, not bad input: still one line, still no output
                failure = RedactionError(f"{src.name}: redaction failed ({type(exc).__name__}); no output was written")
                typer.echo(f"error: {failure}", err=True)
                first_error = first_error or failure
                continue
            if not quiet:
                _print_outcome(stdout, src, outcome, plan)
        if first_error is not None:
            raise typer.Exit(first_error.exit_code)


def _run_one(
    src: Path, paths: JobPaths, detectors: Detectors, options: RedactOptions, plan: bool, console: Console
) -> JobOutcome:
    from wardsafe.redact.pipeline import run_job

    is_video = src.suffix.lower() in VIDEO_SUFFIXES
    if not is_video or console.quiet:
        return run_job(src, paths, detectors, options, plan=plan)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("frames"),
        TimeRemainingColumn(), console=console, transient=True,
    ) as bar:
        task = bar.add_task(f"{'planning' if plan else 'redacting'} {src.name}", total=None)

        def progress(done: int, expected: int) -> None:
            if done % 10 == 0 or done == expected:
                bar.update(task, completed=done, total=expected or None)

        return run_job(src, paths, detectors, options, plan=plan, progress=progress)


def _print_outcome(console: Console, src: Path, outcome: JobOutcome, plan: bool) -> None:
    summary = outcome.report["summary"]
    seconds = outcome.result.timings.get("total_s", 0.0)
    frames = outcome.result.frames
    speed = f", {frames / seconds:.1f} frames/s" if outcome.result.kind == "video" and seconds else ""
    if plan:
        console.print(f"planned {src.name}: {summary['people']} person(s) "
                      f"({summary['faces_tracked']} face track(s)) in {frames} frame(s){speed}")
        for person in outcome.report["people"]:
            where = "" if outcome.result.kind == "photo" else f": frames {person['first_frame']}-{person['last_frame']}"
            console.print(f"  person {person['id']:>3}{where}")
        console.print(f"  plan: {outcome.written[0]}\n  contact sheet: {outcome.written[1]}")
        console.print("  keep your own face with: --keep PERSON [PERSON ...]")
        return
    sound = outcome.report.get("audio")
    if outcome.result.kind == "audio" and sound is not None:
        console.print(f"redacted {src.name} -> {outcome.written[0]}: {len(sound['spans_hidden'])} spoken "
                      f"identifier span(s) hidden ({sound['mode']}); report: {outcome.written[1]}")
        return
    console.print(
        f"redacted {src.name} -> {outcome.written[0]}: {summary['faces_hidden']} face track(s) hidden, "
        f"{len(summary['kept_people'])} person(s) kept, in {frames} frame(s){speed}; report: {outcome.written[1]}"
    )
