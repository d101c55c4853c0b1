"""``wardsafe staff add``: create a staff account (the password is prompted for, or read from stdin)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from wardsafe.errors import InputError

staff_app = typer.Typer(help="Manage staff accounts.", no_args_is_help=True)


@staff_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name: lower-case letters, digits, dots, dashes.")],
    name: Annotated[str, typer.Option("--name", help="Name shown to patients and colleagues, e.g. 'Sam Patel (RN)'.")],
    role: Annotated[str, typer.Option("--role", help="staff, manager or admin.")] = "staff",
    area: Annotated[
        list[str] | None, typer.Option("--area", help="An area id from the policy this person works in (repeat).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (for scripts).")
    ] = False,
) -> None:
    """Create a staff account with an argon2id-hashed password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise InputError("no password given")
    staff = _service().add_staff(username, name, password, role=role, areas=area or [])  # type: ignore[arg-type]
    areas = ", ".join(staff.areas) or "no areas"
    typer.echo(f"added {staff.role} {staff.username} ({staff.display_name}) working in {areas}")


def _service():  # type: ignore[no-untyped-def]
    # Imported when a command runs, so that other commands start without loading the database stack.
    from wardsafe.store.service import PermissionService

    return PermissionService.from_settings()


def register(app: typer.Typer) -> None:
    """Adds ``wardsafe staff ...`` to the CLI."""
    app.add_typer(staff_app, name="staff")
