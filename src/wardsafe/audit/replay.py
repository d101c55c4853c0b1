"""Replaying the audit trail: the state every request, decision and permit should be in, by the events
alone, and the rows that disagree with it.

A row changed by hand in the database (a withdrawn permit set back to ``permitted``, a decline turned
into an agreement) leaves the chain intact but no longer matches what the chain says happened. Pure
functions: the caller reads the events and the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from wardsafe.audit.chain import AuditRecord
from wardsafe.permits import lifecycle
from wardsafe.permits.model import RequestState, Verdict

# Which stored state each event leaves a request in (decisions are replayed separately).
_STATE_AFTER = {
    "request.declined": RequestState.DECLINED,
    "request.cancelled": RequestState.CANCELLED,
    "permit.used": RequestState.USED,
    "permit.withdrawn": RequestState.WITHDRAWN,
    "permit.issued": RequestState.PERMITTED,
}


@dataclass
class PermitFacts:
    """What matters about a permit: its code, end, conditions, and whether it was used or withdrawn."""

    code: str
    valid_until: str  # ISO 8601, as audited
    conditions: list[str]
    unidentifiable_staff: list[str]
    used: bool = False
    withdrawn: bool = False


@dataclass
class RequestFacts:
    """A request's stored state, each involved staff member's decision (None: awaited) and its permit."""

    code: str
    state: str
    decisions: dict[str, str | None] = field(default_factory=dict)
    permit: PermitFacts | None = None


@dataclass
class StaffFacts:
    """An account's role and whether it may act."""

    username: str
    role: str
    active: bool


@dataclass
class Replayed:
    """Everything the audit trail says, keyed by request code and username."""

    requests: dict[str, RequestFacts] = field(default_factory=dict)
    staff: dict[str, StaffFacts] = field(default_factory=dict)


def replay(records: Iterable[AuditRecord]) -> Replayed:
    """The state the events describe, applied in order."""
    out = Replayed()
    for record in records:
        details = _details(record)
        action, subject = record.action, record.subject
        if action == "request.created":
            state = lifecycle.initial_state(Verdict(str(details.get("verdict"))))
            staff = _strings(details.get("staff"))
            out.requests[subject] = RequestFacts(subject, state.value, {u: None for u in staff})
            continue
        if action == "staff.added":
            name = subject.removeprefix("staff:")
            out.staff[name] = StaffFacts(name, str(details.get("role")), True)
            continue
        if action in ("staff.enabled", "staff.disabled"):
            known = out.staff.get(subject.removeprefix("staff:"))
            if known is not None:
                known.active = action == "staff.enabled"
            continue
        request = out.requests.get(subject)
        if request is None:
            continue  # not an event about a request (incidents, exports, sign-ins ...)
        if action == "decision.recorded":
            request.decisions[record.actor.removeprefix("staff:")] = str(details.get("decision"))
        if action == "permit.issued":
            request.permit = PermitFacts(
                code=str(details.get("permit")),
                valid_until=str(details.get("valid_until")),
                conditions=sorted(_strings(details.get("conditions"))),
                unidentifiable_staff=sorted(_strings(details.get("unidentifiable_staff"))),
            )
        if request.permit is not None:
            request.permit.used = request.permit.used or action == "permit.used"
            request.permit.withdrawn = request.permit.withdrawn or action == "permit.withdrawn"
        if action in _STATE_AFTER:
            request.state = _STATE_AFTER[action].value
    return out


def differences(expected: Replayed, requests: Iterable[RequestFacts], staff: Iterable[StaffFacts]) -> list[str]:
    """One line for each stored row that disagrees with the audit trail, naming the row."""
    problems: list[str] = []
    seen: set[str] = set()
    for actual in requests:
        seen.add(actual.code)
        wanted = expected.requests.get(actual.code)
        if wanted is None:
            problems.append(f"request {actual.code}: not in the audit trail (added outside WardSafe)")
            continue
        problems.extend(_request_differences(wanted, actual))
    problems.extend(
        f"request {code}: in the audit trail but missing from the database"
        for code in expected.requests
        if code not in seen
    )
    for account in staff:
        wanted_staff = expected.staff.get(account.username)
        if wanted_staff is None:
            problems.append(f"staff {account.username}: not in the audit trail (added outside WardSafe)")
            continue
        if account.role != wanted_staff.role:
            problems.append(
                f"staff {account.username}: role is {account.role}, the audit trail says {wanted_staff.role}"
            )
        if account.active != wanted_staff.active:
            shown = {True: "active", False: "disabled"}
            problems.append(
                f"staff {account.username}: account is {shown[account.active]}, "
                f"the audit trail says {shown[wanted_staff.active]}"
            )
    return problems


def _request_differences(wanted: RequestFacts, actual: RequestFacts) -> list[str]:
    code = actual.code
    problems = []
    if actual.state != wanted.state:
        problems.append(f"request {code}: state is {actual.state}, the audit trail says {wanted.state}")
    for username in sorted(set(wanted.decisions) | set(actual.decisions)):
        if username not in actual.decisions:
            problems.append(f"decision of {username} on {code}: missing from the database")
        elif username not in wanted.decisions:
            problems.append(f"decision of {username} on {code}: {username} is not involved in the audit trail")
        elif actual.decisions[username] != wanted.decisions[username]:
            problems.append(
                f"decision of {username} on {code}: is {actual.decisions[username] or 'awaited'}, "
                f"the audit trail says {wanted.decisions[username] or 'awaited'}"
            )
    if (wanted.permit is None) != (actual.permit is None):
        said = "no permit" if wanted.permit is None else f"permit {wanted.permit.code}"
        have = "none" if actual.permit is None else f"permit {actual.permit.code}"
        problems.append(f"permit of {code}: the database has {have}, the audit trail says {said}")
    elif wanted.permit is not None and actual.permit is not None:
        label = f"permit {actual.permit.code} (request {code})"
        for name in ("code", "valid_until", "conditions", "unidentifiable_staff", "used", "withdrawn"):
            have, want = getattr(actual.permit, name), getattr(wanted.permit, name)
            if have != want:
                problems.append(f"{label}: {name.replace('_', ' ')} is {have}, the audit trail says {want}")
    return problems


def _details(record: AuditRecord) -> dict[str, object]:
    try:
        value = json.loads(record.details)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
