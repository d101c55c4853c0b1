"""The ``wardsafe`` command. Each capability adds its commands from a module of its own."""

from __future__ import annotations

import sys

import typer

# Typer 0.29 (pinned in pyproject.toml) carries its own copy of Click; its exceptions are not those of the
# `click` package, and only these modules raise them.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, NoSuchOption, UsageError

from wardsafe import __version__
from wardsafe.cli import audit as _audit
from wardsafe.cli import models as _models
from wardsafe.cli import policy as _policy
from wardsafe.cli import redact as _redact
from wardsafe.cli import serve as _serve
from wardsafe.cli import staff as _staff
from wardsafe.cli import transcribe as _transcribe
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
_transcribe.register(app)


def usage_line(exc: UsageError, args: list[str]) -> str:
    """One line for a usage error: what is wrong, Click's "did you mean" if it has one, and where help is.

    For example ``error: no such option: --outptu; did you mean --output? (see 'wardsafe redact --help')``.
    ``args`` (the command line after ``wardsafe``) names the command when the error does not.
    """
    if isinstance(exc, NoSuchOption):
        # Click lists close matches as "(Possible options: ...)"; say it the way the command suggestion does.
        message = exc.message
        if exc.possibilities:
            message += f"; did you mean {' or '.join(sorted(exc.possibilities))}?"
    else:
        message = exc.format_message().replace(". Did you mean ", "; did you mean ")
    message = " ".join(message.split())  # one line, whatever the message held
    if not message.endswith("?"):
        message = message.rstrip(".")
    if message[:1].isupper() and message[1:2].islower():  # "No such option" -> "no such option"; not "HEIC"
        message = message[0].lower() + message[1:]
    if exc.ctx is not None and exc.ctx.command.get_help_option(exc.ctx) is not None:
        command = exc.ctx.command_path
    else:
        command = _command_path(args)  # Click's parser raises some errors (a missing option value) without one
    return f"error: {message} (see '{command} --help')"


def _command_path(args: list[str]) -> str:
    # The command the arguments name, e.g. "wardsafe audit export": follow sub-command names down the tree.
    # Only the root has an option (--version, a flag), so no option value can be taken for a command name.
    command = typer.main.get_command(app)
    path = ["wardsafe"]
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-"):
            continue
        sub = getattr(command, "commands", {}).get(arg)
        if sub is None:
            break
        command = sub
        path.append(arg)
    return " ".join(path)


def main() -> None:
    """Entry point: runs the CLI, turning a WardSafeError into one line on stderr and its exit code.

    A usage error (unknown command or option, missing or badly typed argument) is one line too, with exit
    code 2, for every command and sub-command.
    """
    args = _redact.expand_keep(sys.argv[1:])
    try:
        code = app(args=args, prog_name="wardsafe", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except WardSafeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except NoArgsIsHelpError as exc:
        # A group called with nothing after it: its help (already printed by Typer's rich formatter, so the
        # message is usually empty) is the answer, with Click's exit code for "no command given".
        if exc.format_message().strip():
            exc.show()
        sys.exit(exc.exit_code)
    except UsageError as exc:
        typer.echo(usage_line(exc, args), err=True)
        sys.exit(exc.exit_code)
    except ClickException as exc:
        typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted; no output was written", err=True)
        sys.exit(130)
