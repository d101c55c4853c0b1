"""Turning stored rows into the read-only views the service returns."""

from __future__ import annotations

import json
from typing import Any

from wardsafe.permits.model import (
    CONDITION_TEXT,
    Condition,
    Conditions,
    DecisionKind,
    Media,
    Purpose,
    RequestState,
    Verdict,
)
from wardsafe.permits.policy import AreaPolicy, Policy
from wardsafe.store.models import AuditEvent, Incident, RecordingRequest, Staff
from wardsafe.store.views import (
    AreaView,
    AuditEntryView,
    ConditionView,
    DecisionView,
    IncidentView,
    PermitView,
    PolicyAnswer,
    RequestView,
    StaffView,
    area_name,
)


def json_list(text: str) -> list[Any]:
    """A JSON list stored as text (an empty list if the text holds anything else)."""
    value = json.loads(text)
    return value if isinstance(value, list) else []


def area_view(policy: Policy, area: AreaPolicy) -> AreaView:
    """An area with the conditions every permit there carries."""
    return AreaView(
        id=area.id,
        name=area.name,
        kind=area.kind,
        media=area.media,
        purposes=area.purposes,
        conditions=Conditions(policy.default_conditions | area.conditions).sorted_codes(),
        permit_hours=area.permit_hours,
    )


def staff_view(staff: Staff) -> StaffView:
    """An account without its password hash."""
    return StaffView(
        id=staff.id,
        public_id=staff.public_id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,  # type: ignore[arg-type]
        areas=staff.area_ids,
        active=staff.active,
        locked_until=staff.locked_until,
    )


def permit_view(policy: Policy, request: RecordingRequest, state: RequestState) -> PermitView | None:
    """The request's permit (None if it has none), in the request's effective ``state``."""
    permit = request.permit
    if permit is None:
        return None
    names = {inv.staff.username: inv.staff.display_name for inv in request.involvements}
    withdrawn_by = next(
        (inv.staff.display_name for inv in request.involvements if inv.staff_id == permit.withdrawn_by), None
    )
    codes = Conditions(frozenset(Condition(c) for c in json_list(permit.conditions))).sorted_codes()
    decided = [(inv.staff.display_name, inv.decision) for inv in request.involvements if inv.decision]
    return PermitView(
        code=permit.code,
        request_code=request.code,
        area_id=request.area_id,
        area_name=area_name(policy, request.area_id),
        media=[Media(m) for m in request.media.split(",")],
        purpose=Purpose(request.purpose),
        state=state,
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
        conditions=[ConditionView(code=c, text=CONDITION_TEXT[c]) for c in codes],
        unidentifiable_staff=[names.get(u, u) for u in json_list(permit.unidentifiable_staff)],
        patient_name=request.patient_name,
        covered_staff=[name for name, kind in decided if kind != DecisionKind.DECLINE.value],
        declined_staff=[name for name, kind in decided if kind == DecisionKind.DECLINE.value],
        used_at=permit.used_at,
        withdrawn_at=permit.withdrawn_at,
        withdrawn_by=withdrawn_by,
        withdrawal_reason=permit.withdrawal_reason,
    )


def request_view(policy: Policy, request: RecordingRequest, state: RequestState) -> RequestView:
    """A request with its decisions and permit, in its effective ``state``."""
    return RequestView(
        code=request.code,
        area_id=request.area_id,
        area_name=area_name(policy, request.area_id),
        media=[Media(m) for m in request.media.split(",")],
        purpose=Purpose(request.purpose),
        patient_name=request.patient_name,
        contact=request.contact,
        note=request.note,
        state=state,
        created_at=request.created_at,
        decide_by=request.decide_by,
        policy=PolicyAnswer(
            verdict=Verdict(request.verdict),
            reasons=json_list(request.reasons),
            conditions=[Condition(c) for c in json_list(request.policy_conditions)],
        ),
        decisions=[
            DecisionView(
                staff_username=inv.staff.username,
                staff_name=inv.staff.display_name,
                decision=DecisionKind(inv.decision) if inv.decision else None,
                reason=inv.reason,
                decided_at=inv.decided_at,
            )
            for inv in request.involvements
        ],
        permit=permit_view(policy, request, state),
    )


def incident_view(policy: Policy, incident: Incident) -> IncidentView:
    """A logged incident, with the reporter's name."""
    return IncidentView(
        id=incident.id,
        area_id=incident.area_id,
        area_name=area_name(policy, incident.area_id),
        kind=incident.kind,
        occurred_at=incident.occurred_at,
        description=incident.description,
        reported_by=incident.reporter.display_name,
        created_at=incident.created_at,
    )


def audit_view(row: AuditEvent) -> AuditEntryView:
    """An audit row as stored (details parsed; text that is not a JSON object is shown raw)."""
    try:
        details = json.loads(row.details)
    except ValueError:
        details = None
    return AuditEntryView(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=details if isinstance(details, dict) else {"raw": row.details},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
