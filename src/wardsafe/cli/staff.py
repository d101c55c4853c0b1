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


@staff_app.command("list")
def list_accounts() -> None:
    """List every account: username, role, whether active, areas, name."""
    for staff in _service().list_staff(actor_id=None):
        state = "active" if staff.active else "disabled"
        typer.echo(f"{staff.username}\t{staff.role}\t{state}\t{','.join(staff.areas) or '-'}\t{staff.display_name}")


@staff_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The account to disable.")]) -> None:
    """Disable an account: its sessions end and it can no longer sign in or decide; past decisions stay."""
    staff = _service().set_staff_active(username, False)
    typer.echo(f"disabled {staff.username}")


@staff_app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="The account to enable again.")]) -> None:
    """Enable a disabled account again."""
    staff = _service().set_staff_active(username, True)
    typer.echo(f"enabled {staff.username}")


@staff_app.command("unlock")
def unlock(username: Annotated[str, typer.Argument(help="The account to unlock.")]) -> None:
    """Unlock an account locked after too many failed sign-ins (it unlocks by itself after a while)."""
    staff = _service().unlock_staff(username)
    typer.echo(f"unlocked {staff.username}")


@staff_app.command("sign-out")
def sign_out(username: Annotated[str, typer.Argument(help="The account to sign out on every device.")]) -> None:
    """End every session of an account at once (a lost tablet, a shared password); audited."""
    ended = _service().end_staff_sessions(username)
    typer.echo(f"signed {username} out of {ended} session{'s' if ended != 1 else ''}")


def _service():  # type: ignore[no-untyped-def]
    # Imported when a command runs, so that other commands start without loading the database stack.
    from wardsafe.store.service import PermissionService

    return PermissionService.from_settings()


def register(app: typer.Typer) -> None:
    """Adds ``wardsafe staff ...`` to the CLI."""
    app.add_typer(staff_app, name="staff")
