"""Errors of the permission domain. Each is a WardSafeError, so the CLI prints it as one line.

The web layer maps them to HTTP statuses: NotFound -> 404, NotAllowed -> 403,
InvalidTransition -> 409, InputError -> 422, PolicyError -> server refuses to start.
"""

from __future__ import annotations

from dataclasses import dataclass

from wardsafe.errors import ConfigError, InputError, WardSafeError

__all__ = ["InputError", "InvalidTransition", "NotAllowed", "NotFound", "PolicyError", "PolicyProblem"]


class NotFound(WardSafeError):
    """No request, permit, area or staff member matches (deliberately says no more than that)."""

    exit_code = 5


class NotAllowed(WardSafeError):
    """The actor may not do this (deciding for a colleague, outside their areas, not an admin...)."""

    exit_code = 6


class InvalidTransition(WardSafeError):
    """The request is not in a state where this step is legal (e.g. withdrawing a used permit)."""

    exit_code = 7


@dataclass(frozen=True)
class PolicyProblem:
    """One problem in a policy file, with the 1-based line it was found on (0 when unknown)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class PolicyError(ConfigError):
    """The policy file is invalid; ``problems`` lists every problem found, each with its line."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid policy"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"invalid policy: {first}{more}")
