"""Where one redaction job writes its files (kept free of heavy imports: the CLI uses it up front)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class JobPaths:
    """Where one job writes: the redacted file, its report, and for a plan the plan files."""

    output: Path
    report: Path
    plan_json: Path
    plan_sheet: Path

    @staticmethod
    def beside(output: Path, report: Path | None = None) -> JobPaths:
        """Report and plan files named after the output (``clip.report.json``, ``clip.plan.png``)."""
        stem = output.with_suffix("")
        return JobPaths(
            output=output,
            report=report or stem.with_name(stem.name + ".report.json"),
            plan_json=stem.with_name(stem.name + ".plan.json"),
            plan_sheet=stem.with_name(stem.name + ".plan.png"),
        )
