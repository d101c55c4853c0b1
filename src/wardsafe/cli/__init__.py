"""The ``wardsafe`` command. Each capability adds its commands from a module of its own."""

from __future__ import annotations

import sys

import click
import typer

from wardsafe import __version__
from wardsafe.cli import audit as _audit
from wardsafe.cli import models as _models
from wardsafe.cli import policy as _policy
from wardsafe.cli import redact as _redact
from wardsafe.cli import serve as _serve
from wardsafe.cli import staff as _staff
from wardsafe.errors import WardSafeError

app = typer.Typer(
    help="WardSafe: permission, redaction and audit for recordings made in hospitals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wardsafe {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """WardSafe: permission, redaction and audit for recordings made in hospitals."""


_redact.register(app)
_policy.register(app)
_audit.register(app)
_staff.register(app)
_serve.register(app)
_models.register(app)


def main() -> None:
    """Entry point: runs the CLI, turning a WardSafeError into one line on stderr and its exit code."""
    try:
        code = app(args=_redact.expand_keep(sys.argv[1:]), prog_name="wardsafe", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except WardSafeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted; no output was written", err=True)
        sys.exit(130)
