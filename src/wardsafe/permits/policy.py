"""The trust's recording policy: parsed from YAML text and validated, every problem with its line.

Reading the file is the caller's job (this package does no I/O); see ``wardsafe.store.policy_source``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from wardsafe.permits.errors import NotFound, PolicyError, PolicyProblem
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
        raise NotFound("there is no such area in the policy")  # never repeats what was asked for


# ---- parsing ------------------------------------------------------------------------------------
# The YAML is composed into nodes (not loaded into plain dicts) so that every problem can name its line.

AREA_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
E = TypeVar("E", bound=StrEnum)

TOP_KEYS = {"version", "trust", "defaults", "administration", "areas"}
TRUST_KEYS = {"name", "timezone"}
DEFAULT_KEYS = {"conditions", "permit_hours", "request_hours", "retention_days"}
ADMIN_KEYS = {"governance_roles", "dashboard_roles"}
AREA_KEYS = {"id", "name", "kind", "media", "purposes", "conditions", "permit_hours"}


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Walks the composed YAML, collecting problems instead of stopping at the first one."""

    def __init__(self) -> None:
        self.problems: list[PolicyProblem] = []
        # Line of the key that owns each value node: "trust is missing 'name'" points at "trust:".
        self.key_lines: dict[int, int] = {}

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(PolicyProblem(_line(node), message))

    def mapping(self, node: Node, where: str, allowed: set[str], required: set[str]) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.problem(node, f"{where} must be a mapping of keys to values")
            return {}
        result: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None or key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.problem(key_node, f"unknown key {key!r} in {where} (expected one of: {expected})")
            elif key in result:
                self.problem(key_node, f"duplicate key {key!r} in {where}")
            else:
                result[key] = value_node
                self.key_lines[id(value_node)] = _line(key_node)
        for key in sorted(required - result.keys()):
            line = self.key_lines.get(id(node), _line(node))
            self.problems.append(PolicyProblem(line, f"{where} is missing {key!r}"))
        return result

    def text(self, node: Node | None, where: str, default: str | None = None) -> str | None:
        if node is None:
            return default
        if not isinstance(node, ScalarNode) or not str(node.value).strip() or node.tag.endswith(":null"):
            self.problem(node, f"{where} must be non-empty text")
            return default
        return str(node.value).strip()

    def integer(self, node: Node | None, where: str, default: int, low: int, high: int) -> int:
        if node is None:
            return default
        if not isinstance(node, ScalarNode) or not re.fullmatch(r"[0-9]+", str(node.value)):
            self.problem(node, f"{where} must be a whole number")
            return default
        value = int(node.value)
        if not low <= value <= high:
            self.problem(node, f"{where} must be between {low} and {high}, not {value}")
            return default
        return value

    def choice(self, node: Node, where: str, enum: type[E]) -> E | None:
        value = node.value if isinstance(node, ScalarNode) else None
        try:
            if value is None:
                raise ValueError(value)
            return enum(value)
        except ValueError:
            options = ", ".join(member.value for member in enum)
            self.problem(node, f"{where}: {value!r} is not one of: {options}")
            return None

    def choices(self, node: Node | None, where: str, enum: type[E]) -> frozenset[E]:
        if node is None:
            return frozenset()
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{where} must be a list")
            return frozenset()
        found = (self.choice(item, where, enum) for item in node.value)
        return frozenset(item for item in found if item is not None)

    def roles(self, node: Node | None, where: str, default: frozenset[str]) -> frozenset[str]:
        if node is None:
            return default
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(node, f"{where} must be a non-empty list of roles")
            return default
        roles = set()
        for item in node.value:
            if not isinstance(item, ScalarNode) or item.value not in ROLES:
                self.problem(item, f"{where}: {getattr(item, 'value', item)!r} is not one of: {', '.join(ROLES)}")
            else:
                roles.add(item.value)
        return frozenset(roles) or default

    def verdicts(self, node: Node | None, where: str, enum: type[E]) -> dict[E, Verdict]:
        # Anything not named is never allowed: a policy fails closed.
        result = {member: Verdict.NEVER for member in enum}
        if node is None:
            return result
        for key, value in self.mapping(node, where, {m.value for m in enum}, set()).items():
            verdict = self.choice(value, f"{where}.{key}", Verdict)
            if verdict is not None:
                result[enum(key)] = verdict
        return result


def parse_policy(text: str) -> Policy:
    """Parses and validates policy YAML; raises PolicyError listing every problem with its line.

    Media and purposes an area does not name are never allowed there. Checking the time zone
    consults the system's time zone database (read-only).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise PolicyError([PolicyProblem(line, f"not valid YAML: {exc.problem or exc.context}")]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([PolicyProblem(0, f"not valid YAML: {exc}")]) from None
    if root is None:
        raise PolicyError([PolicyProblem(1, "the policy is empty")])

    r = _Reader()
    top = r.mapping(root, "the policy", TOP_KEYS, {"trust", "areas"})
    if "version" in top and getattr(top["version"], "value", None) != "1":
        r.problem(top["version"], "version must be 1")

    trust = r.mapping(top["trust"], "trust", TRUST_KEYS, TRUST_KEYS) if "trust" in top else {}
    trust_name = r.text(trust.get("name"), "trust.name", "") or ""
    timezone = r.text(trust.get("timezone"), "trust.timezone", "UTC") or "UTC"
    if "timezone" in trust:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            r.problem(trust["timezone"], f"trust.timezone: unknown time zone {timezone!r} (e.g. Europe/London)")
            timezone = "UTC"

    defaults = r.mapping(top["defaults"], "defaults", DEFAULT_KEYS, set()) if "defaults" in top else {}
    default_conditions = r.choices(defaults.get("conditions"), "defaults.conditions", Condition)
    permit_hours = r.integer(defaults.get("permit_hours"), "defaults.permit_hours", 8, 1, 24 * 30)
    request_hours = r.integer(defaults.get("request_hours"), "defaults.request_hours", 24, 1, 24 * 30)
    retention_days = r.integer(defaults.get("retention_days"), "defaults.retention_days", 30, 0, 3650)

    admin = r.mapping(top["administration"], "administration", ADMIN_KEYS, set()) if "administration" in top else {}
    governance_roles = r.roles(admin.get("governance_roles"), "administration.governance_roles", frozenset({"admin"}))
    dashboard_roles = r.roles(
        admin.get("dashboard_roles"), "administration.dashboard_roles", frozenset({"manager", "admin"})
    )

    areas: list[AreaPolicy] = []
    areas_node = top.get("areas")
    if areas_node is not None and (not isinstance(areas_node, SequenceNode) or not areas_node.value):
        r.problem(areas_node, "areas must be a non-empty list")
    elif areas_node is not None:
        seen: set[str] = set()
        for index, area_node in enumerate(areas_node.value, start=1):
            area = _parse_area(r, area_node, f"areas[{index}]", permit_hours)
            if area is None:
                continue
            if area.id in seen:
                r.problem(area_node, f"areas[{index}]: duplicate area id {area.id!r}")
            seen.add(area.id)
            areas.append(area)

    if r.problems:
        raise PolicyError(sorted(r.problems, key=lambda p: p.line))
    return Policy(
        trust_name=trust_name,
        timezone=timezone,
        areas=tuple(areas),
        default_conditions=default_conditions,
        permit_hours=permit_hours,
        request_hours=request_hours,
        retention_days=retention_days,
        governance_roles=governance_roles,
        dashboard_roles=dashboard_roles,
    )


def _parse_area(r: _Reader, node: Node, where: str, default_hours: int) -> AreaPolicy | None:
    fields = r.mapping(node, where, AREA_KEYS, {"id", "name", "kind"})
    area_id = r.text(fields.get("id"), f"{where}.id")
    if area_id is not None and not AREA_ID.match(area_id):
        r.problem(fields["id"], f"{where}.id {area_id!r} must be lower-case letters, digits and dashes")
        area_id = None
    name = r.text(fields.get("name"), f"{where}.name")
    kind = r.choice(fields["kind"], f"{where}.kind", AreaKind) if "kind" in fields else None
    media = r.verdicts(fields.get("media"), f"{where}.media", Media)
    purposes = r.verdicts(fields.get("purposes"), f"{where}.purposes", Purpose)
    conditions = r.choices(fields.get("conditions"), f"{where}.conditions", Condition)
    hours = r.integer(fields.get("permit_hours"), f"{where}.permit_hours", default_hours, 1, 24 * 30)
    if area_id is None or name is None or kind is None:
        return None
    return AreaPolicy(area_id, name, kind, media, purposes, conditions, hours)
