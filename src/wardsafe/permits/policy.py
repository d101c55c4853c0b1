"""The trust's recording policy: parsed from YAML text and validated, every problem with its line.

Reading the file is the caller's job (this package does no I/O); see ``wardsafe.store.policy_source``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wardsafe.permits.errors import NotFound
from wardsafe.permits.model import AreaKind, Condition, Media, Purpose, Verdict

ROLES = ("staff", "manager", "admin")


@dataclass(frozen=True)
class AreaPolicy:
    """What one area allows: a verdict per medium and per purpose, extra conditions and permit length."""

    id: str
    name: str
    kind: AreaKind
    media: dict[Media, Verdict]
    purposes: dict[Purpose, Verdict]
    conditions: frozenset[Condition]
    permit_hours: int


@dataclass(frozen=True)
class Policy:
    """A whole trust policy."""

    trust_name: str
    timezone: str
    areas: tuple[AreaPolicy, ...]
    default_conditions: frozenset[Condition] = field(default_factory=frozenset)
    permit_hours: int = 8
    request_hours: int = 24
    retention_days: int = 30
    governance_roles: frozenset[str] = frozenset({"admin"})
    dashboard_roles: frozenset[str] = frozenset({"manager", "admin"})

    def area(self, area_id: str) -> AreaPolicy:
        """The area with this id; NotFound if the policy has none."""
        for area in self.areas:
            if area.id == area_id:
                return area
        raise NotFound(f"no area {area_id!r} in the policy")


def parse_policy(text: str) -> Policy:
    """Parses and validates policy YAML; raises PolicyError listing every problem with its line."""
    raise NotImplementedError
