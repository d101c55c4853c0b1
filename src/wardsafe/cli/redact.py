"""``wardsafe redact``: hide faces in photos and videos."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds the redact command to the CLI."""

    @app.command()
    def redact() -> None:
        """Hide every face that has not consented in photos and videos (work in progress)."""
        raise typer.Exit(1)
