"""``wardsafe models``: which model files redaction uses, and building the int8 key-frame model ahead of time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import typer

from wardsafe.config import get_settings

models_app = typer.Typer(help="Show or prepare the face models redaction uses.", no_args_is_help=True)


@models_app.command("show")
def show() -> None:
    """Print the face model files in use, their SHA-256, and the video key-frame precision."""
    # imported here: OpenCV and ONNX Runtime would slow down every other command's start
    from wardsafe.detect import centerface, quantize
    from wardsafe.detect.faces import check_precision, configured_model_path

    settings = get_settings()
    source = configured_model_path()
    if not source.is_file():
        typer.echo(f"face model:        {source} (MISSING)")
        raise typer.Exit(4)
    typer.echo(f"face model:        {source}")
    typer.echo(f"  sha256:          {centerface.file_sha256(source)}")
    precision = check_precision(settings.video_model_precision)
    typer.echo(f"video key frames:  {precision} (WARDSAFE_VIDEO_PRECISION)")
    if precision == "int8":
        derived = quantize.int8_model_path(source, settings.model_cache)
        if derived.is_file():
            typer.echo(f"  int8 copy:       {derived}")
            typer.echo(f"  sha256:          {centerface.file_sha256(derived)}")
        else:
            typer.echo(f"  int8 copy:       not built yet -> {derived}")
            typer.echo("                   (`wardsafe models prepare` builds it; otherwise the first video does)")


def prepare_int8_model(say: Callable[[str], object]) -> Path | None:
    """Builds the int8 key-frame model if video precision is int8 and it is not in the cache yet, saying so
    through ``say`` first (the build takes 10-20 s). Returns its path, or None when video runs float."""
    from wardsafe.detect import quantize
    from wardsafe.detect.faces import check_precision, configured_model_path

    settings = get_settings()
    if check_precision(settings.video_model_precision) == "float":
        return None
    source = configured_model_path()
    path = quantize.int8_model_path(source, settings.model_cache)
    if not path.is_file():
        say("building the int8 face model for video key frames from the installed one (once, about 10-20 s)...")
        started = time.perf_counter()
        quantize.ensure_int8_model(source, settings.model_cache)
        say(f"built and checked in {time.perf_counter() - started:.1f} s")
    return path


@models_app.command("prepare")
def prepare() -> None:
    """Build the int8 key-frame model into the model cache now, if video precision is int8 (idempotent)."""
    path = prepare_int8_model(typer.echo)
    if path is None:
        typer.echo("video key frames use the float model: nothing to prepare")
    else:
        typer.echo(f"int8 face model ready: {path}")


def register(app: typer.Typer) -> None:
    """Adds ``wardsafe models`` to the root command."""
    app.add_typer(models_app, name="models")
