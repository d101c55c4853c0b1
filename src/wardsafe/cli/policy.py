"""``wardsafe policy check FILE``: validate a recording policy, printing each problem with its line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardsafe.permits.errors import PolicyError
from wardsafe.permits.policy import parse_policy
from wardsafe.store.policy_source import default_policy_text, read_policy_text

policy_app = typer.Typer(help="Check the trust's recording policy.", no_args_is_help=True)


@policy_app.command("check")
def check(
    file: Annotated[
        Path | None, typer.Argument(help="Policy YAML file (default: the policy shipped with WardSafe).")
    ] = None,
) -> None:
    """Validate a policy file; print every problem as FILE:LINE: message and exit non-zero if any."""
    name = str(file) if file else "default policy"
    text = read_policy_text(file) if file else default_policy_text()
    try:
        policy = parse_policy(text)
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(f"{name}:{problem.line}: {problem.message}", err=True)
        typer.echo(f"{name}: {len(exc.problems)} problem(s); the server will not start with this policy", err=True)
        raise typer.Exit(exc.exit_code) from None
    typer.echo(f"{name}: ok ({policy.trust_name}, {len(policy.areas)} areas, time zone {policy.timezone})")


def register(app: typer.Typer) -> None:
    """Adds ``wardsafe policy ...`` to the CLI."""
    app.add_typer(policy_app, name="policy")
