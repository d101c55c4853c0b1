"""The permission service: the one place the web app and the CLI go to read or change permissions.

Every method runs in one database transaction; every state change appends its audit row in that
same transaction, so either both are stored or neither is. Domain rules come from ``wardsafe.permits``
(pure functions); this module loads rows, applies those rules, and stores the result.

Actors: patients are identified only by their request's unguessable token; staff by their account
id (the web app keeps it in the session after ``authenticate``). Methods raise the errors in
``wardsafe.permits.errors`` (NotFound, NotAllowed, InvalidTransition) and ``wardsafe.errors.InputError``.
All datetimes are timezone-aware UTC; ``PermissionService.timezone`` names the trust's zone for display.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

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

Role = Literal["staff", "manager", "admin"]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the service's default clock)."""
    return datetime.now(UTC)


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


class StaffView(View):
    """A staff account, without its password hash."""

    id: int
    username: str
    display_name: str
    role: Role
    areas: list[str]
    active: bool


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
    used_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None  # display name
    withdrawal_reason: str | None = None


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


class IncidentCount(View):
    """Incidents in one area in one month (month in the trust's time zone, ``YYYY-MM``)."""

    area_id: str
    area_name: str
    month: str
    count: int


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


# ---- the service --------------------------------------------------------------------------------


class PermissionService:
    """Permissions over one database and one policy. Thread-safe: each call opens its own session."""

    def __init__(self, engine: Engine, policy: Policy, clock: Callable[[], datetime] = utcnow) -> None:
        """Uses an engine whose schema is at head (see ``wardsafe.store.db.init_db``)."""
        self.engine = engine
        self.policy = policy
        self.clock = clock

    @classmethod
    def open(cls, database_url: str, policy: Policy, clock: Callable[[], datetime] = utcnow) -> PermissionService:
        """Migrates the database at ``database_url`` to head and returns a service over it."""
        raise NotImplementedError

    @property
    def timezone(self) -> str:
        """The trust's IANA time zone (e.g. ``Europe/London``) for showing times."""
        return self.policy.timezone

    # -- areas and policy --

    def list_areas(self) -> list[AreaView]:
        """Every area in the policy, in policy order."""
        raise NotImplementedError

    def get_area(self, area_id: str) -> AreaView:
        """One area; NotFound if the policy has none with this id."""
        raise NotImplementedError

    def list_area_staff(self, area_id: str) -> list[StaffView]:
        """Active staff who work in this area (for the request form's 'staff involved' choice)."""
        raise NotImplementedError

    def check_request(self, area_id: str, media: list[Media], purpose: Purpose) -> PolicyAnswer:
        """What the policy says about this request, without storing anything."""
        raise NotImplementedError

    # -- patients (by token) --

    def create_request(self, new: NewRequest) -> CreatedRequest:
        """Stores a request and answers at once: REFUSED by policy, PERMITTED (allowed without decisions)
        or PENDING decisions from every staff member named. InputError if a named staff member does not
        exist or does not work in the area, or if none is named when decisions are needed."""
        raise NotImplementedError

    def get_request_by_token(self, token: str) -> RequestView:
        """The patient's view of their request; NotFound for an unknown token."""
        raise NotImplementedError

    def cancel_request(self, token: str) -> RequestView:
        """The patient cancels a pending request or an unused permit."""
        raise NotImplementedError

    def mark_permit_used(self, token: str) -> RequestView:
        """The patient declares the permit used for publishing; staff can no longer withdraw it."""
        raise NotImplementedError

    # -- staff --

    def staff_inbox(self, staff_id: int) -> list[RequestView]:
        """Pending requests in the staff member's areas that await THEIR decision, oldest first."""
        raise NotImplementedError

    def staff_requests(self, staff_id: int) -> list[RequestView]:
        """Every request the staff member is involved in, newest first (to review or withdraw)."""
        raise NotImplementedError

    def get_request_for_staff(self, staff_id: int, request_code: str) -> RequestView:
        """A request the staff member is involved in (or any, for governance roles); NotFound otherwise."""
        raise NotImplementedError

    def decide(
        self, staff_id: int, request_code: str, decision: DecisionKind, reason: str | None = None
    ) -> RequestView:
        """Records the staff member's OWN decision (changeable while pending). Issues the permit when the
        last involved staff member agrees; a decline ends the request. NotAllowed if they are not involved
        or the area is not theirs; InvalidTransition if the request is no longer pending."""
        raise NotImplementedError

    def withdraw(self, staff_id: int, request_code: str, reason: str) -> RequestView:
        """An involved staff member withdraws permission (pending request or unused, unexpired permit)."""
        raise NotImplementedError

    def verify_permit(self, permit_code: str) -> PermitView:
        """Looks a permit up by its verification code (staff checking a patient's card); NotFound if none.
        The returned state says whether it is in force (PERMITTED) or not."""
        raise NotImplementedError

    # -- incidents --

    def log_incident(self, staff_id: int, new: NewIncident) -> IncidentView:
        """Any active staff member logs an incident in an area of the policy."""
        raise NotImplementedError

    def list_incidents(self, staff_id: int, area_id: str | None = None) -> list[IncidentView]:
        """Incidents, newest first (dashboard roles only)."""
        raise NotImplementedError

    def incident_counts(self, staff_id: int) -> list[IncidentCount]:
        """Counts by area and month in the trust's time zone (dashboard roles only)."""
        raise NotImplementedError

    # -- accounts --

    def add_staff(
        self,
        username: str,
        display_name: str,
        password: str,
        role: Role = "staff",
        areas: list[str] | None = None,
        actor_id: int | None = None,
    ) -> StaffView:
        """Creates an account with an argon2id password hash. ``actor_id`` None means the command line;
        otherwise the actor must hold a governance role. InputError if the username is taken, the
        password is shorter than 8 characters, or an area is not in the policy."""
        raise NotImplementedError

    def authenticate(self, username: str, password: str) -> StaffView | None:
        """The active account with this username and password, or None (same work either way)."""
        raise NotImplementedError

    def get_staff(self, staff_id: int) -> StaffView:
        """One account; NotFound if there is none."""
        raise NotImplementedError

    def list_staff(self, actor_id: int) -> list[StaffView]:
        """Every account (governance roles only)."""
        raise NotImplementedError

    def can_govern(self, staff_id: int) -> bool:
        """Whether the staff member holds a governance role (sees every request, audit, export)."""
        raise NotImplementedError

    def can_see_dashboard(self, staff_id: int) -> bool:
        """Whether the staff member may see incident counts."""
        raise NotImplementedError

    # -- governance --

    def admin_requests(self, actor_id: int, state: RequestState | None = None) -> list[RequestView]:
        """Every request with its decisions, newest first (governance roles only)."""
        raise NotImplementedError

    def audit_entries(self, actor_id: int | None, limit: int = 200) -> list[AuditEntryView]:
        """The newest audit rows (governance roles; ``actor_id`` None means the command line)."""
        raise NotImplementedError

    def audit_verify(self) -> AuditReport:
        """Checks the whole hash chain; names the first edited, removed or reordered row."""
        raise NotImplementedError

    def export_fhir(self, actor_id: int | None) -> dict[str, Any]:
        """A FHIR R4 Bundle (JSON-ready dict): one Consent per permit and one AuditEvent per audit row.
        The export itself is audited."""
        raise NotImplementedError
