"""The audit trail in words: each stored event (an action code and its details) as a sentence a
governance officer reads without a glossary. The codes stay in the database, the chain and the export."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wardsafe.store.views import AuditEntryView
from wardsafe.web.labels import label
from wardsafe.web.timefmt import local_time


@dataclass(frozen=True)
class Wording:
    """What the sentences need besides the event: staff display names by username, area names by id,
    and the trust's time zone for times inside the details."""

    staff_names: Mapping[str, str]
    area_names: Mapping[str, str]
    timezone: str

    def actor(self, actor: str) -> str:
        """Who acted, as a name or a plain description."""
        if actor.startswith("staff:"):
            return self.staff(actor.removeprefix("staff:"))
        return {"patient": "The patient", "system": "WardSafe", "cli": "An administrator (command line)"}.get(
            actor, actor
        )

    def staff(self, username: str) -> str:
        """A staff member's display name (the username if the account is unknown)."""
        return self.staff_names.get(username, username)

    def area(self, area_id: object) -> str:
        """An area's name (its id if the policy no longer has it)."""
        return self.area_names.get(str(area_id), str(area_id))


def _list(values: object, word: Callable[[str], str] = label) -> str:
    items = [word(str(v)) for v in values] if isinstance(values, list) else []
    return ", ".join(items) if items else "none"


def _when(value: object, timezone: str) -> str:
    try:
        return local_time(datetime.fromisoformat(str(value)), timezone)
    except ValueError:
        return str(value)


def describe(entry: AuditEntryView, words: Wording) -> str:
    """One audit event as a sentence, e.g. "Alice Ng (RN) agreed to request K7Q-4MP."."""
    who, code, d = words.actor(entry.actor), entry.subject, entry.details
    account = code.removeprefix("staff:")
    sentences: dict[str, Callable[[dict[str, Any]], str]] = {
        "request.created": lambda d: (
            f"The patient asked to record ({_list(d.get('media')).lower()}; {label(d.get('purpose')).lower()}) "
            f"in {words.area(d.get('area'))}: request {code}. The rules say: {label(d.get('verdict')).lower()}."
            + (f" Staff named: {_list(d.get('staff'), words.staff)}." if d.get("staff") else "")
        ),
        "decision.recorded": lambda d: {
            "agree": f"{who} agreed to request {code}.",
            "agree_if_unidentifiable": f"{who} agreed to request {code} only if not identifiable.",
            "decline": f"{who} declined request {code}.",
        }.get(str(d.get("decision")), f"{who} decided on request {code}."),
        "request.declined": lambda d: f"Request {code} was declined by everyone involved: no permit will be issued.",
        "permit.issued": lambda d: (
            f"Permit {d.get('permit')} was issued for request {code}"
            + (" at once, as the area's rules allow" if entry.actor == "system" else " after the staff decided")
            + f"; valid until {_when(d.get('valid_until'), words.timezone)}."
            + (
                f" Not to be identifiable: {_list(d.get('unidentifiable_staff'), words.staff)}."
                if d.get("unidentifiable_staff")
                else ""
            )
        ),
        "permit.withdrawn": lambda d: f"{who} withdrew permit {d.get('permit')} (request {code}).",
        "permit.used": lambda d: (
            f"The patient said they have published under permit {d.get('permit')} (request {code}); "
            "it can no longer be withdrawn."
        ),
        "request.cancelled": lambda d: f"The patient cancelled request {code}.",
        "incident.logged": lambda d: (
            f"{who} logged an incident: {label(d.get('kind')).lower()} in {words.area(d.get('area'))}."
        ),
        "staff.added": lambda d: (
            f"{who} added the staff account {account} (role: {d.get('role')}; "
            f"areas: {_list(d.get('areas'), words.area)})."
        ),
        "staff.disabled": lambda d: f"{who} disabled the staff account {account}.",
        "staff.enabled": lambda d: f"{who} enabled the staff account {account} again.",
        "staff.locked": lambda d: (
            f"The staff account {account} was locked after {d.get('failed_sign_ins')} failed sign-ins in a row, "
            f"until {_when(d.get('until'), words.timezone)}."
        ),
        "staff.unlocked": lambda d: f"{who} unlocked the staff account {account}.",
        "staff.lock_expired": lambda d: (
            f"The lock on the staff account {account} ran out at {_when(d.get('until'), words.timezone)}."
        ),
        "staff.signed_out_everywhere": lambda d: (
            f"{who} signed the staff account {account} out everywhere ({d.get('sessions')} session(s) ended)."
        ),
        "audit.exported": lambda d: f"{who} exported the permits and the audit trail (FHIR).",
    }
    known = sentences.get(entry.action)
    if known is not None:
        return known(d)
    # An event this page has no sentence for yet: still words, never a bare code.
    what = entry.action.replace(".", " ").replace("_", " ")
    return f"{who}: {what} ({account})."
