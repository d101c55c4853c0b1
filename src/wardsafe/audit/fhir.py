"""FHIR R4 export: a ``collection`` Bundle with one ``Consent`` per permit and one ``AuditEvent`` per
audit row. Built as plain JSON-ready dicts (validated in the tests with ``fhir.resources``); the
patient is not named in the export, only the request and permit codes.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wardsafe.permits.model import Condition, DecisionKind, RequestState

if TYPE_CHECKING:  # views live in the store; only their shape is needed here
    from wardsafe.permits.policy import Policy
    from wardsafe.store.views import AuditEntryView, RequestView

SYSTEM = "urn:wardsafe"
_NAMESPACE = uuid.UUID("6f1c1d8e-4a1b-4a57-9a7c-2b8e8e6b1f00")
# Conditions that forbid something become "deny" provisions; the others are obligations without a type.
_RESTRICTIONS = {
    Condition.NO_OTHER_PATIENTS,
    Condition.NO_SCREENS_OR_RECORDS,
    Condition.NO_PUBLISHING,
    Condition.STAFF_UNIDENTIFIABLE,
    Condition.DECLINED_STAFF_NOT_RECORDED,
}
_ACTIVE = {RequestState.PERMITTED, RequestState.USED}


def _time(at: datetime) -> str:
    return at.isoformat()


def _coding(kind: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": f"{SYSTEM}:{kind}", "code": code}
    if display:
        coding["display"] = display
    return coding


def consent(request: RequestView, policy: Policy) -> dict[str, Any]:
    """The Consent resource for a request that has a permit."""
    permit = request.permit
    if permit is None:
        raise ValueError("only requests with a permit become a Consent")
    end = min(permit.valid_until, permit.withdrawn_at) if permit.withdrawn_at else permit.valid_until
    # The staff each staff condition names (display names).
    named = {
        Condition.STAFF_UNIDENTIFIABLE: sorted(permit.unidentifiable_staff),
        Condition.DECLINED_STAFF_NOT_RECORDED: sorted(permit.declined_staff),
    }
    provisions: list[dict[str, Any]] = [
        {"type": "permit", "code": [{"coding": [_coding("media", m.value)], "text": f"{m.value} recording"}]}
        for m in permit.media
    ]
    for condition in permit.conditions:
        code = {"coding": [_coding("condition", condition.code)], "text": condition.text}
        provision: dict[str, Any] = {"code": [code]}
        if condition.code in _RESTRICTIONS:
            provision["type"] = "deny"
        if named.get(condition.code):
            role = {"coding": [_coding("role", "staff")]}
            provision["actor"] = [{"role": role, "reference": {"display": name}} for name in named[condition.code]]
        provisions.append(provision)

    return {
        "resourceType": "Consent",
        "id": f"permit-{permit.code}",
        "identifier": [
            {"system": f"{SYSTEM}:permit", "value": permit.code},
            {"system": f"{SYSTEM}:request", "value": request.code},
        ],
        "status": "active" if permit.state in _ACTIVE else "inactive",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                    "display": "Privacy Consent",
                }
            ]
        },
        "category": [
            {
                "coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Consent Document"}],
                "text": "Permission to record care",
            }
        ],
        "dateTime": _time(permit.valid_from),
        "organization": [{"display": policy.trust_name}],
        "policy": [{"uri": f"{SYSTEM}:policy:area:{request.area_id}"}],
        "verification": [
            {
                "verified": d.decision in (DecisionKind.AGREE, DecisionKind.AGREE_IF_UNIDENTIFIABLE),
                "verifiedWith": {"display": d.staff_name},
                **({"verificationDate": _time(d.decided_at)} if d.decided_at else {}),
            }
            for d in request.decisions
        ],
        "provision": {
            "type": "permit",
            "period": {"start": _time(permit.valid_from), "end": _time(end)},
            "actor": [
                {
                    "role": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "PRF",
                                "display": "performer",
                            }
                        ]
                    },
                    "reference": {"display": d.staff_name},
                }
                for d in request.decisions
            ],
            "purpose": [_coding("purpose", permit.purpose.value)],
            "provision": provisions,
        },
    }


_ACTION_CODES = {"created": "C", "issued": "C", "logged": "C", "added": "C", "exported": "E", "uploaded": "C",
                 "original_deleted": "D"}


def audit_event(entry: AuditEntryView, policy: Policy) -> dict[str, Any]:
    """The AuditEvent resource for one audit row; its hashes travel with it so the chain can be rechecked."""
    verb = entry.action.rsplit(".", 1)[-1]
    return {
        "resourceType": "AuditEvent",
        "id": f"audit-{entry.seq}",
        "type": _coding("audit-action", entry.action),
        "action": _ACTION_CODES.get(verb, "U"),
        "recorded": _time(entry.at),
        "outcome": "0",
        "agent": [{"who": {"display": entry.actor}, "requestor": True}],
        "source": {"site": policy.trust_name, "observer": {"display": "WardSafe"}},
        "entity": [
            {
                "what": {"identifier": {"system": f"{SYSTEM}:subject", "value": entry.subject}},
                "detail": [
                    {"type": "seq", "valueString": str(entry.seq)},
                    {"type": "details", "valueString": json.dumps(entry.details, sort_keys=True)},
                    {"type": "prev_hash", "valueString": entry.prev_hash},
                    {"type": "hash", "valueString": entry.hash},
                ],
            }
        ],
    }


def build_bundle(
    policy: Policy, permits: list[RequestView], events: list[AuditEntryView], now: datetime
) -> dict[str, Any]:
    """The export Bundle: Consents (requests with a permit) then AuditEvents, in order."""
    resources = [consent(r, policy) for r in permits if r.permit is not None]
    resources += [audit_event(e, policy) for e in events]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _time(now),
        "entry": [
            {"fullUrl": f"urn:uuid:{uuid.uuid5(_NAMESPACE, r['resourceType'] + '/' + r['id'])}", "resource": r}
            for r in resources
        ],
    }
