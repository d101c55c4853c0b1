"""``wardsafe models``: which model files redaction uses, and building the int8 key-frame model ahead of time."""

from __future__ import annotations

import time

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


@models_app.command("prepare")
def prepare() -> None:
    """Build the int8 key-frame model into the model cache now, if video precision is int8 (idempotent)."""
    from wardsafe.detect import quantize
    from wardsafe.detect.faces import check_precision, configured_model_path

    settings = get_settings()
    if check_precision(settings.video_model_precision) == "float":
        typer.echo("video key frames use the float model: nothing to prepare")
        return
    source = configured_model_path()
    existing = quantize.int8_model_path(source, settings.model_cache)
    if existing.is_file():
        typer.echo(f"int8 face model ready: {existing}")
        return
    typer.echo("building the int8 face model from the installed one (about 10-20 s, once)...")
    started = time.perf_counter()
    path = quantize.ensure_int8_model(source, settings.model_cache)
    typer.echo(f"int8 face model ready: {path} (built and checked in {time.perf_counter() - started:.1f} s)")


def register(app: typer.Typer) -> None:
    """Adds ``wardsafe models`` to the root command."""
    app.add_typer(models_app, name="models")
