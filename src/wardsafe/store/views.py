"""Inputs the permission service accepts and the read-only views it returns (Pydantic, JSON-ready)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import median
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from wardsafe.permits.errors import NotFound
from wardsafe.permits.lifecycle import effective_state
from wardsafe.permits.model import (
    AreaKind,
    Condition,
    DecisionKind,
    Media,
    Purpose,
    RequestState,
    Verdict,
)
from wardsafe.permits.policy import Policy
from wardsafe.store.models import Incident, Involvement, Permit, RecordingRequest, Staff

Role = Literal["staff", "manager", "admin"]


class View(BaseModel):
    """Base of the read-only views the service returns (safe to serialise as JSON)."""

    model_config = ConfigDict(frozen=True)


# ---- inputs -------------------------------------------------------------------------------------


class NewRequest(BaseModel):
    """What a patient (or relative, or staff on the ward tablet for them) asks for."""

    area_id: str
    media: list[Media] = Field(min_length=1)
    purpose: Purpose
    patient_name: str = Field(min_length=1, max_length=80, description="The name staff can call them by")
    contact: str = Field(min_length=1, max_length=120, description="How to reach them (phone or email)")
    staff: list[str] = Field(default_factory=list, description="Usernames of the staff involved")
    note: str | None = Field(default=None, max_length=500)


class NewIncident(BaseModel):
    """An incident of covert or refused-permission recording, as logged by staff."""

    area_id: str
    kind: Literal["covert_recording", "recording_after_refusal", "recording_beyond_permit", "other"]
    occurred_at: datetime
    description: str = Field(default="", max_length=2000)


# ---- views --------------------------------------------------------------------------------------


class AreaView(View):
    """An area of the hospital and what its policy says."""

    id: str
    name: str
    kind: AreaKind
    media: dict[Media, Verdict]
    purposes: dict[Purpose, Verdict]
    conditions: list[Condition]
    permit_hours: int

    @property
    def offered_media(self) -> list[Media]:
        """Media a patient may ask for here (allowed, or allowed if staff agree), in enum order."""
        return [m for m in Media if self.media.get(m, Verdict.NEVER) is not Verdict.NEVER]

    @property
    def offered_purposes(self) -> list[Purpose]:
        """Purposes a patient may ask for here, in enum order."""
        return [p for p in Purpose if self.purposes.get(p, Verdict.NEVER) is not Verdict.NEVER]

    @property
    def nothing_allowed(self) -> bool:
        """Whether the policy refuses every request here (no medium or no purpose is ever allowed)."""
        return not self.offered_media or not self.offered_purposes

    def without_decisions(self) -> AreaView:
        """This area as it stands when nobody can agree: only what the policy allows outright is offered."""
        return self.model_copy(
            update={
                "media": {m: v for m, v in self.media.items() if v is Verdict.ALLOWED},
                "purposes": {p: v for p, v in self.purposes.items() if v is Verdict.ALLOWED},
            }
        )

    @property
    def needs_staff(self) -> bool:
        """Whether any request offered here needs staff to agree (so the form asks who is involved)."""
        offered = [self.media[m] for m in self.offered_media] + [self.purposes[p] for p in self.offered_purposes]
        return Verdict.NEEDS_DECISION in offered


class StaffView(View):
    """A staff account, without its password hash."""

    id: int
    public_id: str = Field(description="Random and meaningless: names the staff member on patients' forms")
    username: str
    display_name: str
    role: Role
    areas: list[str]
    active: bool
    # Until when sign-in is refused after failed attempts (a short wait, or a lock); None when it is not.
    locked_until: datetime | None = None


class PolicyAnswer(View):
    """The policy's immediate answer to a request: refused, allowed at once, or needs decisions."""

    verdict: Verdict
    reasons: list[str]
    conditions: list[Condition]


class DecisionView(View):
    """One involved staff member's decision (``decision`` is None while still awaited)."""

    staff_username: str
    staff_name: str
    decision: DecisionKind | None
    reason: str | None
    decided_at: datetime | None


class ConditionView(View):
    """A permit condition with the text shown on the permit card."""

    code: Condition
    text: str


class PermitView(View):
    """A permit: what may be recorded, where, until when, under which conditions."""

    code: str  # short verification code staff can check
    request_code: str
    area_id: str
    area_name: str
    media: list[Media]
    purpose: Purpose
    state: RequestState  # PERMITTED, USED, WITHDRAWN, CANCELLED or EXPIRED
    valid_from: datetime
    valid_until: datetime
    conditions: list[ConditionView]
    unidentifiable_staff: list[str]  # display names of staff who must not be identifiable
    patient_name: str
    # Display names of the staff it covers (they agreed, in either way) and of those who declined: the
    # permit is issued for the first; the second must not be recorded.
    covered_staff: list[str] = []
    declined_staff: list[str] = []
    used_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None  # display name
    withdrawal_reason: str | None = None

    @property
    def allows_publishing(self) -> bool:
        """Whether the permit lets the patient publish (it does not carry the no-publishing condition);
        only then may they say they have published, which ends staff's chance to withdraw."""
        return all(c.code is not Condition.NO_PUBLISHING for c in self.conditions)


class RequestView(View):
    """A recording request as its patient, involved staff and admins see it."""

    code: str  # short human code, e.g. "K7Q-4MP"; not a credential
    area_id: str
    area_name: str
    media: list[Media]
    purpose: Purpose
    patient_name: str
    contact: str
    note: str | None
    state: RequestState  # effective state (EXPIRED computed from the clock)
    created_at: datetime
    decide_by: datetime  # pending requests expire at this time
    policy: PolicyAnswer
    decisions: list[DecisionView]
    permit: PermitView | None

    @property
    def declined_by(self) -> list[DecisionView]:
        """The decisions that declined, in the order staff were named."""
        return [d for d in self.decisions if d.decision is DecisionKind.DECLINE]


class CreatedRequest(View):
    """The result of creating a request. ``token`` is the patient's only key to it: show it once, as a link."""

    token: str
    request: RequestView


class IncidentView(View):
    """A logged incident."""

    id: int
    area_id: str
    area_name: str
    kind: str
    occurred_at: datetime
    description: str
    reported_by: str  # display name
    created_at: datetime


class AreaMonthCount(View):
    """How many things happened in one area in one month (month in the trust's time zone, ``YYYY-MM``)."""

    area_id: str
    area_name: str
    month: str
    count: int


class IncidentCount(AreaMonthCount):
    """Incidents in one area in one month (month in the trust's time zone, ``YYYY-MM``)."""


class Tally(View):
    """A count under a code (a state, a decision, an incident kind) or an area id, with its share of the
    whole (0-1) where shares mean something."""

    key: str
    count: int
    share: float | None = None


class Dashboard(View):
    """What governance asks of the permission service, counted over every request, decision, permit and
    incident (dashboard roles only). Months are the trust's; requests count in their effective state."""

    requests: int
    requests_by_area: list[Tally]
    requests_by_state: list[Tally]
    requests_by_area_month: list[AreaMonthCount]
    decisions: list[Tally]  # agree / agree if not identifiable / decline, with shares of all decisions
    median_minutes_to_decision: float | None  # from the request to each staff member's decision
    permits_issued: int
    withdrawals: int
    withdrawals_by_area: list[Tally]
    incidents: int
    incidents_by_kind: list[Tally]
    incidents_by_area_month: list[AreaMonthCount]


class InboxPage(View):
    """One page of a staff member's inbox: requests awaiting their own decision (oldest first) and, apart,
    those they were involved in (newest first). Each list has its own page number (from 1)."""

    awaiting: list[RequestView]
    awaiting_total: int
    awaiting_page: int
    involved: list[RequestView]
    involved_total: int
    involved_page: int
    per_page: int

    @property
    def awaiting_pages(self) -> int:
        """How many pages the awaiting list has (at least one)."""
        return max(1, -(-self.awaiting_total // self.per_page))

    @property
    def involved_pages(self) -> int:
        """How many pages the involved list has (at least one)."""
        return max(1, -(-self.involved_total // self.per_page))


class AuditEntryView(View):
    """One audit row as stored."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditReport(View):
    """The result of checking the audit chain. ``first_bad_seq`` names the first row that fails."""

    ok: bool
    rows: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    # Rows that disagree with what the audit trail says happened (e.g. a state changed by hand), each named.
    mismatches: list[str] = Field(default_factory=list)


# ---- read-side queries --------------------------------------------------------------------------
# Queries behind pages that only read: they take an open session and return views; the service's
# façade checks who may ask and opens the (read-only) transaction.


def _tallies(counts: Counter[str], order: list[str] | None = None, shares: bool = False) -> list[Tally]:
    """Tallies in ``order`` (every key in it, zeros included) or by count, largest first."""
    total = sum(counts.values())
    keys = order if order is not None else [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return [Tally(key=k, count=counts[k], share=counts[k] / total if shares and total else None) for k in keys]


def _by_area_month(policy: Policy, counts: Counter[tuple[str, str]]) -> list[AreaMonthCount]:
    return [
        AreaMonthCount(area_id=area, area_name=area_name(policy, area), month=month, count=count)
        for (area, month), count in sorted(counts.items())
    ]


def area_name(policy: Policy, area_id: str) -> str:
    """The area's name, or its id if it has been removed from the policy since (its records stay readable)."""
    try:
        return policy.area(area_id).name
    except NotFound:
        return area_id


def dashboard_figures(session: Session, policy: Policy, now: datetime) -> Dashboard:
    """Every figure of the governance dashboard, read in one transaction. Rows are grouped here rather
    than in SQL: months and effective states depend on the trust's zone and the clock, the same on every
    database."""
    zone = ZoneInfo(policy.timezone)

    def month(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m")

    requests = session.execute(
        select(
            RecordingRequest.area_id,
            RecordingRequest.state,
            RecordingRequest.created_at,
            RecordingRequest.decide_by,
            Permit.valid_until,
            Permit.withdrawn_at,
        ).outerjoin(Permit, Permit.request_id == RecordingRequest.id)
    ).all()
    by_area: Counter[str] = Counter()
    by_state: Counter[str] = Counter()
    by_area_month: Counter[tuple[str, str]] = Counter()
    withdrawn_by_area: Counter[str] = Counter()
    permits = 0
    for area_id, state, created_at, decide_by, valid_until, withdrawn_at in requests:
        by_area[area_id] += 1
        by_state[effective_state(RequestState(state), now, decide_by, valid_until).value] += 1
        by_area_month[(area_id, month(created_at))] += 1
        permits += valid_until is not None
        if withdrawn_at is not None:
            withdrawn_by_area[area_id] += 1

    decided = session.execute(
        select(Involvement.decision, Involvement.decided_at, RecordingRequest.created_at)
        .join(RecordingRequest, RecordingRequest.id == Involvement.request_id)
        .where(Involvement.decision.is_not(None))
    ).all()
    decisions = Counter(str(decision) for decision, _, _ in decided)
    waits = [(at - asked).total_seconds() / 60 for _, at, asked in decided if at is not None]

    incidents = session.execute(select(Incident.area_id, Incident.kind, Incident.occurred_at)).all()
    return Dashboard(
        requests=len(requests),
        requests_by_area=_tallies(by_area),
        requests_by_state=_tallies(by_state, [s.value for s in RequestState if by_state[s.value]]),
        requests_by_area_month=_by_area_month(policy, by_area_month),
        decisions=_tallies(decisions, [d.value for d in DecisionKind], shares=True),
        median_minutes_to_decision=median(waits) if waits else None,
        permits_issued=permits,
        withdrawals=sum(withdrawn_by_area.values()),
        withdrawals_by_area=_tallies(withdrawn_by_area),
        incidents=len(incidents),
        incidents_by_kind=_tallies(Counter(kind for _, kind, _ in incidents)),
        incidents_by_area_month=_by_area_month(policy, Counter((a, month(at)) for a, _, at in incidents)),
    )


def awaiting_decision(staff: Staff, now: datetime) -> Select[RecordingRequest]:
    """Pending requests in the staff member's areas that await THEIR decision, oldest first."""
    return (
        select(RecordingRequest)
        .join(Involvement, Involvement.request_id == RecordingRequest.id)
        .where(
            Involvement.staff_id == staff.id,
            Involvement.decision.is_(None),
            RecordingRequest.state == RequestState.PENDING.value,
            RecordingRequest.decide_by > now,
            RecordingRequest.area_id.in_(staff.area_ids),
        )
        .order_by(RecordingRequest.created_at, RecordingRequest.id)
    )


def involved_not_awaiting(staff: Staff, now: datetime) -> Select[RecordingRequest]:
    """Requests the staff member is involved in that do not await their decision, newest first."""
    awaiting = awaiting_decision(staff, now).with_only_columns(RecordingRequest.id).order_by(None)
    return (
        select(RecordingRequest)
        .join(Involvement, Involvement.request_id == RecordingRequest.id)
        .where(Involvement.staff_id == staff.id, RecordingRequest.id.not_in(awaiting))
        .order_by(RecordingRequest.created_at.desc(), RecordingRequest.id.desc())
    )


def page_of(
    session: Session, query: Select[RecordingRequest], page: int, per_page: int
) -> tuple[list[RecordingRequest], int, int]:
    """One page of ``query``'s rows, the number of rows in all, and the page actually shown (a page past
    the end shows the last one; pages count from 1)."""
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    last = max(1, -(-total // per_page))
    shown = min(max(page, 1), last)
    rows = list(session.execute(query.offset((shown - 1) * per_page).limit(per_page)).scalars())
    return rows, total, shown
