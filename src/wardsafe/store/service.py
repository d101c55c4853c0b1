"""The permission service: the one place the web app and the CLI go to read or change permissions.

Every method runs in one database transaction; every state change appends its audit row in that
same transaction, so either both are stored or neither is. Domain rules come from ``wardsafe.permits``
(pure functions); this module loads rows, applies those rules, and stores the result.

Actors: patients are identified only by their request's unguessable token; staff by their account
id (the web app keeps it in the session after ``authenticate``). Methods raise the errors in
``wardsafe.permits.errors`` (NotFound, NotAllowed, InvalidTransition) and ``wardsafe.errors.InputError``.
All datetimes are timezone-aware UTC; ``PermissionService.timezone`` names the trust's zone for display.
Expiry is computed from the clock when a request is read; it is not a stored state change.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wardsafe.audit.chain import verify_chain
from wardsafe.audit.fhir import build_bundle
from wardsafe.audit.log import append_event, as_record
from wardsafe.config import Settings, get_settings
from wardsafe.errors import InputError
from wardsafe.permits import lifecycle
from wardsafe.permits.errors import NotAllowed, NotFound
from wardsafe.permits.identifiers import contains_nhs_number
from wardsafe.permits.model import (
    Condition,
    Conditions,
    DecisionKind,
    Media,
    Purpose,
    RequestState,
    Verdict,
)
from wardsafe.permits.policy import ROLES, AreaPolicy, Policy
from wardsafe.store import codes, convert
from wardsafe.store.db import init_db, make_sessionmaker, session_scope
from wardsafe.store.models import AuditEvent, AuditHead, Incident, Involvement, Permit, RecordingRequest, Staff
from wardsafe.store.models import StaffArea as StaffAreaRow
from wardsafe.store.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from wardsafe.store.policy_source import load_policy
from wardsafe.store.views import (
    AreaView,
    AuditEntryView,
    AuditReport,
    ConditionView,
    CreatedRequest,
    DecisionView,
    IncidentCount,
    IncidentView,
    NewIncident,
    NewRequest,
    PermitView,
    PolicyAnswer,
    RequestView,
    Role,
    StaffView,
    View,
)

__all__ = [
    "AreaView",
    "AuditEntryView",
    "AuditReport",
    "ConditionView",
    "CreatedRequest",
    "DecisionView",
    "IncidentCount",
    "IncidentView",
    "NewIncident",
    "NewRequest",
    "PermissionService",
    "PermitView",
    "PolicyAnswer",
    "RequestView",
    "Role",
    "StaffView",
    "View",
    "utcnow",
]

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CODE_ATTEMPTS = 8  # random codes collide rarely; retry a few times before giving up


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the service's default clock)."""
    return datetime.now(UTC)


def _clean(text: str | None, what: str, max_length: int, required: bool = True) -> str | None:
    """Trimmed text; InputError if required and blank, or too long."""
    value = (text or "").strip()
    if not value:
        if required:
            raise InputError(f"{what} is required")
        return None
    if len(value) > max_length:
        raise InputError(f"{what} is longer than {max_length} characters")
    return value


def _required(text: str | None, what: str, max_length: int) -> str:
    """Trimmed text that must be given; InputError if blank or too long."""
    value = _clean(text, what, max_length)
    if value is None:  # _clean raises for a blank required field; this tells the type checker so
        raise InputError(f"{what} is required")
    return value


class PermissionService:
    """Permissions over one database and one policy. Thread-safe: each call opens its own session."""

    def __init__(self, engine: Engine, policy: Policy, clock: Callable[[], datetime] = utcnow) -> None:
        """Uses an engine whose schema is at head (see ``wardsafe.store.db.init_db``)."""
        self.engine = engine
        self.policy = policy
        self.clock = clock
        self._sessions = make_sessionmaker(engine)
        self._postgres = engine.dialect.name == "postgresql"
        # SQLite lets one writer in at a time and makes the others poll with growing sleeps, which
        # gives some threads multi-second waits under load. Queueing this process's writers on a
        # lock instead hands the database over as soon as it is free (other processes still poll).
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()

    @classmethod
    def open(cls, database_url: str, policy: Policy, clock: Callable[[], datetime] = utcnow) -> PermissionService:
        """Migrates the database at ``database_url`` to head and returns a service over it."""
        return cls(init_db(database_url), policy, clock)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PermissionService:
        """The service for this process: database from ``WARDSAFE_DATABASE_URL`` (or SQLite under
        ``WARDSAFE_DATA_DIR``), policy from ``WARDSAFE_POLICY`` (or the default). Migrates to head;
        PolicyError (a ConfigError) if the policy is invalid, so a server refuses to start."""
        settings = settings or get_settings()
        policy = load_policy(settings.policy_file)
        return cls.open(settings.resolved_database_url, policy)

    @property
    def timezone(self) -> str:
        """The trust's IANA time zone (e.g. ``Europe/London``) for showing times."""
        return self.policy.timezone

    # ---- plumbing ------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._write_lock, session_scope(self._sessions) as session:
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with session_scope(self._sessions, read_only=True) as session:
            yield session

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the service clock must return timezone-aware times")
        return now.astimezone(UTC)

    def _audit(self, session: Session, at: datetime, actor: str, action: str, subject: str, **details: Any) -> None:
        append_event(session, at=at, actor=actor, action=action, subject=subject, details=details)

    def _staff(self, session: Session, staff_id: int) -> Staff:
        """The active account acting now; NotAllowed if it does not exist or was deactivated."""
        staff = session.get(Staff, staff_id)
        if staff is None or not staff.active:
            raise NotAllowed("this staff account does not exist or is not active")
        return staff

    def _governor(self, session: Session, staff_id: int | None) -> str:
        """The audit actor for a governance action; NotAllowed unless the staff member may govern.
        ``None`` is the command line, run by whoever administers the server."""
        if staff_id is None:
            return "cli"
        staff = self._staff(session, staff_id)
        if staff.role not in self.policy.governance_roles:
            raise NotAllowed("only governance staff can do this")
        return f"staff:{staff.username}"

    def _request_by_code(self, session: Session, request_code: str, lock: bool = False) -> RecordingRequest:
        code = codes.normalise_code(request_code, codes.REQUEST_CODE_GROUPS)
        query = select(RecordingRequest).where(RecordingRequest.code == code)
        if lock:
            query = query.with_for_update()
        request = session.execute(query).scalar_one_or_none() if code else None
        if request is None:
            raise NotFound("no request with this code")
        return request

    def _request_by_token(self, session: Session, token: str, lock: bool = False) -> RecordingRequest:
        query = select(RecordingRequest).where(RecordingRequest.token_hash == codes.token_hash(token))
        if lock:
            query = query.with_for_update()
        request = session.execute(query).scalar_one_or_none() if token else None
        if request is None:
            raise NotFound("no request for this link")
        return request

    def _state(self, request: RecordingRequest, now: datetime) -> RequestState:
        valid_until = request.permit.valid_until if request.permit else None
        return lifecycle.effective_state(RequestState(request.state), now, request.decide_by, valid_until)

    def _view(self, request: RecordingRequest, now: datetime) -> RequestView:
        return convert.request_view(self.policy, request, self._state(request, now))

    def _unique_code(self, session: Session, column: Any, groups: tuple[int, ...]) -> str:
        for _ in range(CODE_ATTEMPTS):
            code = codes.new_code(groups)
            if session.execute(select(column).where(column == code)).first() is None:
                return code
        raise RuntimeError("could not find a free code")  # 25^6 codes: only when astronomically full

    # ---- areas and policy ----------------------------------------------------------------------

    def list_areas(self) -> list[AreaView]:
        """Every area in the policy, in policy order."""
        return [convert.area_view(self.policy, area) for area in self.policy.areas]

    def get_area(self, area_id: str) -> AreaView:
        """One area; NotFound if the policy has none with this id."""
        return convert.area_view(self.policy, self.policy.area(area_id))

    def list_area_staff(self, area_id: str) -> list[StaffView]:
        """Active staff who work in this area (for the request form's 'staff involved' choice)."""
        self.policy.area(area_id)
        with self._read() as session:
            rows = session.execute(
                select(Staff)
                .join(StaffAreaRow, StaffAreaRow.staff_id == Staff.id)
                .where(StaffAreaRow.area_id == area_id, Staff.active.is_(True))
                .order_by(Staff.display_name)
            ).scalars()
            return [convert.staff_view(staff) for staff in rows]

    def check_request(self, area_id: str, media: list[Media], purpose: Purpose) -> PolicyAnswer:
        """What the policy says about this request, without storing anything."""
        answer = lifecycle.answer_request(self.policy, self.policy.area(area_id), media, purpose)
        return PolicyAnswer(
            verdict=answer.verdict, reasons=list(answer.reasons), conditions=answer.conditions.sorted_codes()
        )

    # ---- patients (by token) -------------------------------------------------------------------

    def create_request(self, new: NewRequest) -> CreatedRequest:
        """Stores a request and answers at once: REFUSED by policy, PERMITTED (allowed without decisions)
        or PENDING decisions from every staff member named. InputError if a named staff member does not
        exist or does not work in the area, or if none is named when decisions are needed."""
        area = self.policy.area(new.area_id)
        patient_name = _required(new.patient_name, "the name staff can call you", 80)
        contact = _required(new.contact, "how to reach you", 120)
        note = _clean(new.note, "the note", 500, required=False)
        if contains_nhs_number(f"{patient_name} {note or ''}"):
            raise InputError("please do not give your NHS number: WardSafe does not need it")
        media = sorted(set(new.media))
        answer = lifecycle.answer_request(self.policy, area, media, new.purpose)
        usernames = list(dict.fromkeys(u.strip().lower() for u in new.staff if u.strip()))
        if answer.verdict is Verdict.NEEDS_DECISION and not usernames:
            raise InputError("name every member of staff involved: each of them must agree")
        if len(usernames) > 20:
            raise InputError("at most 20 members of staff can be named")
        token = codes.new_token()
        for _ in range(CODE_ATTEMPTS):
            now = self._now()
            try:
                with self._write() as session:
                    staff = self._involved_staff(session, area, usernames)
                    request = self._insert_request(
                        session, now, token, area, media, new.purpose, answer, staff, (patient_name, contact, note)
                    )
                    self._audit(
                        session, now, "patient", "request.created", request.code,
                        area=area.id, media=[m.value for m in media], purpose=new.purpose.value,
                        verdict=answer.verdict.value, staff=usernames,
                    )  # fmt: skip
                    if request.state == RequestState.PERMITTED:
                        self._issue_permit(session, request, now, {}, actor="system")
                    session.flush()
                    return CreatedRequest(token=token, request=self._view(request, now))
            except IntegrityError:
                continue  # two requests drew the same code at the same moment: draw again
        raise RuntimeError("could not store the request")

    def _involved_staff(self, session: Session, area: AreaPolicy, usernames: list[str]) -> list[Staff]:
        if not usernames:
            return []
        found = {s.username: s for s in session.execute(select(Staff).where(Staff.username.in_(usernames))).scalars()}
        unknown = [u for u in usernames if u not in found or not found[u].active]
        if unknown:
            raise InputError(f"no active staff member with username: {', '.join(unknown)}")
        elsewhere = [u for u in usernames if area.id not in found[u].area_ids]
        if elsewhere:
            raise InputError(f"not working in {area.name}: {', '.join(elsewhere)}")
        return [found[u] for u in usernames]

    def _insert_request(
        self,
        session: Session,
        now: datetime,
        token: str,
        area: AreaPolicy,
        media: list[Media],
        purpose: Purpose,
        answer: lifecycle.Answer,
        staff: list[Staff],
        patient: tuple[str, str, str | None],
    ) -> RecordingRequest:
        patient_name, contact, note = patient
        request = RecordingRequest(
            patient_name=patient_name,
            contact=contact,
            note=note,
            token_hash=codes.token_hash(token),
            code=self._unique_code(session, RecordingRequest.code, codes.REQUEST_CODE_GROUPS),
            area_id=area.id,
            media=",".join(m.value for m in media),
            purpose=purpose.value,
            state=lifecycle.initial_state(answer.verdict).value,
            verdict=answer.verdict.value,
            reasons=json.dumps(list(answer.reasons)),
            policy_conditions=json.dumps([c.value for c in answer.conditions.sorted_codes()]),
            created_at=now,
            decide_by=lifecycle.decide_by(now, self.policy),
            updated_at=now,
        )
        request.involvements = [
            Involvement(staff_id=person.id, staff=person, position=index) for index, person in enumerate(staff)
        ]
        session.add(request)
        session.flush()
        return request

    def _issue_permit(
        self,
        session: Session,
        request: RecordingRequest,
        now: datetime,
        decisions: dict[str, DecisionKind],
        actor: str,
    ) -> Permit:
        policy_conditions = Conditions(frozenset(Condition(c) for c in convert.json_list(request.policy_conditions)))
        conditions = lifecycle.permit_conditions(policy_conditions, decisions)
        hours = self.policy.area(request.area_id).permit_hours
        valid_from, valid_until = lifecycle.permit_period(now, hours)
        permit = Permit(
            code=self._unique_code(session, Permit.code, codes.PERMIT_CODE_GROUPS),
            valid_from=valid_from,
            valid_until=valid_until,
            conditions=json.dumps([c.value for c in conditions.sorted_codes()]),
            unidentifiable_staff=json.dumps(sorted(conditions.unidentifiable_staff)),
        )
        request.permit = permit
        session.flush()
        self._audit(
            session, now, actor, "permit.issued", request.code, permit=permit.code,
            valid_until=valid_until.isoformat(), conditions=[c.value for c in conditions.sorted_codes()],
            unidentifiable_staff=sorted(conditions.unidentifiable_staff),
        )  # fmt: skip
        return permit

    def get_request_by_token(self, token: str) -> RequestView:
        """The patient's view of their request; NotFound for an unknown token."""
        with self._read() as session:
            return self._view(self._request_by_token(session, token), self._now())

    def cancel_request(self, token: str) -> RequestView:
        """The patient cancels a pending request or an unused permit."""
        with self._write() as session:
            now = self._now()
            request = self._request_by_token(session, token, lock=True)
            request.state = lifecycle.cancel(self._state(request, now)).value
            request.updated_at = now
            self._audit(session, now, "patient", "request.cancelled", request.code)
            return self._view(request, now)

    def mark_permit_used(self, token: str) -> RequestView:
        """The patient declares the permit used for publishing; staff can no longer withdraw it."""
        with self._write() as session:
            now = self._now()
            request = self._request_by_token(session, token, lock=True)
            request.state = lifecycle.use(self._state(request, now)).value
            request.updated_at = now
            assert request.permit is not None  # USE is legal only from PERMITTED, which has a permit
            request.permit.used_at = now
            self._audit(session, now, "patient", "permit.used", request.code, permit=request.permit.code)
            return self._view(request, now)

    # ---- staff ---------------------------------------------------------------------------------

    def staff_inbox(self, staff_id: int) -> list[RequestView]:
        """Pending requests in the staff member's areas that await THEIR decision, oldest first."""
        with self._read() as session:
            now = self._now()
            staff = self._staff(session, staff_id)
            rows = session.execute(
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
            ).scalars()
            return [self._view(request, now) for request in rows]

    def staff_requests(self, staff_id: int) -> list[RequestView]:
        """Every request the staff member is involved in, newest first (to review or withdraw)."""
        with self._read() as session:
            now = self._now()
            staff = self._staff(session, staff_id)
            rows = session.execute(
                select(RecordingRequest)
                .join(Involvement, Involvement.request_id == RecordingRequest.id)
                .where(Involvement.staff_id == staff.id)
                .order_by(RecordingRequest.created_at.desc(), RecordingRequest.id.desc())
                .limit(500)
            ).scalars()
            return [self._view(request, now) for request in rows]

    def get_request_for_staff(self, staff_id: int, request_code: str) -> RequestView:
        """A request the staff member is involved in (or any, for governance roles); NotFound otherwise."""
        with self._read() as session:
            staff = self._staff(session, staff_id)
            request = self._request_by_code(session, request_code)
            involved = any(inv.staff_id == staff.id for inv in request.involvements)
            if not involved and staff.role not in self.policy.governance_roles:
                raise NotFound("no request with this code")
            return self._view(request, self._now())

    def decide(
        self, staff_id: int, request_code: str, decision: DecisionKind, reason: str | None = None
    ) -> RequestView:
        """Records the staff member's OWN decision (changeable while pending). Issues the permit when the
        last involved staff member agrees; a decline ends the request. NotAllowed if they are not involved
        or the area is not theirs; InvalidTransition if the request is no longer pending."""
        reason = _clean(reason, "the reason", 500, required=False)
        with self._write() as session:
            now = self._now()
            staff = self._staff(session, staff_id)
            request = self._request_by_code(session, request_code, lock=True)
            if request.area_id not in staff.area_ids:
                raise NotAllowed("you do not work in this area")
            involved = [inv.staff.username for inv in request.involvements]
            before = {inv.staff.username: DecisionKind(inv.decision) for inv in request.involvements if inv.decision}
            state, decisions = lifecycle.decide(
                self._state(request, now), involved, before, staff.username, DecisionKind(decision)
            )
            mine = next(inv for inv in request.involvements if inv.staff_id == staff.id)
            mine.decision, mine.reason, mine.decided_at = decisions[staff.username].value, reason, now
            request.state, request.updated_at = state.value, now
            actor = f"staff:{staff.username}"
            self._audit(session, now, actor, "decision.recorded", request.code, decision=mine.decision)
            if state is RequestState.PERMITTED:
                self._issue_permit(session, request, now, decisions, actor=actor)
            elif state is RequestState.DECLINED:
                self._audit(session, now, actor, "request.declined", request.code)
            return self._view(request, now)

    def withdraw(self, staff_id: int, request_code: str, reason: str) -> RequestView:
        """An involved staff member withdraws an issued permit before it is used for publishing.
        A pending request is declined instead (InvalidTransition says so)."""
        reason_text = _clean(reason, "the reason for withdrawing", 500)
        with self._write() as session:
            now = self._now()
            staff = self._staff(session, staff_id)
            request = self._request_by_code(session, request_code, lock=True)
            involved = [inv.staff.username for inv in request.involvements]
            request.state = lifecycle.withdraw(self._state(request, now), involved, staff.username).value
            request.updated_at = now
            assert request.permit is not None  # WITHDRAW is legal only from PERMITTED
            request.permit.withdrawn_at, request.permit.withdrawn_by = now, staff.id
            request.permit.withdrawal_reason = reason_text
            self._audit(
                session, now, f"staff:{staff.username}", "permit.withdrawn", request.code, permit=request.permit.code
            )
            return self._view(request, now)

    def verify_permit(self, permit_code: str) -> PermitView:
        """Looks a permit up by its verification code (staff checking a patient's card); NotFound if none.
        The returned state says whether it is in force (PERMITTED) or not."""
        code = codes.normalise_code(permit_code, codes.PERMIT_CODE_GROUPS)
        with self._read() as session:
            permit = session.execute(select(Permit).where(Permit.code == code)).scalar_one_or_none() if code else None
            if permit is None:
                raise NotFound("no permit with this code")
            now = self._now()
            view = convert.permit_view(self.policy, permit.request, self._state(permit.request, now))
            assert view is not None
            return view

    # ---- incidents -----------------------------------------------------------------------------

    def log_incident(self, staff_id: int, new: NewIncident) -> IncidentView:
        """Any active staff member logs an incident in an area of the policy."""
        area = self.policy.area(new.area_id)
        if new.occurred_at.tzinfo is None:
            raise InputError("the incident time needs a time zone")
        description = _clean(new.description, "the description", 2000, required=False) or ""
        with self._write() as session:
            now = self._now()
            if new.occurred_at > now:
                raise InputError("the incident time is in the future")
            staff = self._staff(session, staff_id)
            incident = Incident(
                area_id=area.id,
                kind=new.kind,
                occurred_at=new.occurred_at.astimezone(UTC),
                description=description,
                reported_by=staff.id,
                reporter=staff,
                created_at=now,
            )
            session.add(incident)
            session.flush()
            self._audit(
                session, now, f"staff:{staff.username}", "incident.logged", f"incident-{incident.id}",
                area=area.id, kind=new.kind,
            )  # fmt: skip
            return convert.incident_view(self.policy, incident)

    def _require_dashboard(self, session: Session, staff_id: int) -> Staff:
        staff = self._staff(session, staff_id)
        if staff.role not in self.policy.dashboard_roles:
            raise NotAllowed("only managers can see incidents")
        return staff

    def list_incidents(self, staff_id: int, area_id: str | None = None) -> list[IncidentView]:
        """Incidents, newest first (dashboard roles only)."""
        with self._read() as session:
            self._require_dashboard(session, staff_id)
            query = select(Incident).order_by(Incident.occurred_at.desc(), Incident.id.desc()).limit(1000)
            if area_id is not None:
                query = query.where(Incident.area_id == area_id)
            return [convert.incident_view(self.policy, incident) for incident in session.execute(query).scalars()]

    def incident_counts(self, staff_id: int) -> list[IncidentCount]:
        """Counts by area and month in the trust's time zone (dashboard roles only), by area then month."""
        zone = ZoneInfo(self.policy.timezone)
        with self._read() as session:
            self._require_dashboard(session, staff_id)
            rows = session.execute(select(Incident.area_id, Incident.occurred_at)).all()
        # Grouped here rather than in SQL: the month boundary is local time, the same on every database.
        counts = Counter((area_id, at.astimezone(zone).strftime("%Y-%m")) for area_id, at in rows)
        return [
            IncidentCount(area_id=area_id, area_name=convert.area_name(self.policy, area_id), month=month, count=count)
            for (area_id, month), count in sorted(counts.items())
        ]

    # ---- accounts ------------------------------------------------------------------------------

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
        name = username.strip().lower()
        if not USERNAME.match(name):
            raise InputError("a username is 2-64 lower-case letters, digits, dots, dashes or underscores")
        shown = _clean(display_name, "the display name", 120)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InputError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        if role not in ROLES:
            raise InputError(f"the role must be one of: {', '.join(ROLES)}")
        area_ids = sorted(set(areas or []))
        known = {area.id for area in self.policy.areas}
        unknown = [a for a in area_ids if a not in known]
        if unknown:
            raise InputError(f"no such area in the policy: {', '.join(unknown)}")
        password_hash = hash_password(password)  # slow on purpose: done before the transaction starts
        try:
            with self._write() as session:
                now = self._now()
                actor = self._governor(session, actor_id)
                if session.execute(select(Staff.id).where(Staff.username == name)).first() is not None:
                    raise InputError(f"the username {name!r} is taken")
                staff = Staff(
                    username=name,
                    display_name=shown,
                    role=role,
                    password_hash=password_hash,
                    active=True,
                    created_at=now,
                    areas=[StaffAreaRow(area_id=a) for a in area_ids],
                )
                session.add(staff)
                session.flush()
                self._audit(session, now, actor, "staff.added", f"staff:{name}", role=role, areas=area_ids)
                return convert.staff_view(staff)
        except IntegrityError:
            raise InputError(f"the username {name!r} is taken") from None

    def authenticate(self, username: str, password: str) -> StaffView | None:
        """The active account with this username and password, or None (same work either way)."""
        with self._read() as session:
            staff = session.execute(
                select(Staff).where(Staff.username == username.strip().lower())
            ).scalar_one_or_none()
            view = convert.staff_view(staff) if staff is not None else None
            stored = staff.password_hash if staff is not None and staff.active else None
        # Verified outside the transaction: argon2 takes tens of milliseconds and holds no lock.
        return view if verify_password(stored, password) else None

    def get_staff(self, staff_id: int) -> StaffView:
        """One account; NotFound if there is none."""
        with self._read() as session:
            staff = session.get(Staff, staff_id)
            if staff is None:
                raise NotFound("no such staff account")
            return convert.staff_view(staff)

    def list_staff(self, actor_id: int | None) -> list[StaffView]:
        """Every account (governance roles; ``actor_id`` None means the command line)."""
        with self._read() as session:
            self._governor(session, actor_id)
            return [convert.staff_view(s) for s in session.execute(select(Staff).order_by(Staff.username)).scalars()]

    def set_staff_active(self, username: str, active: bool, actor_id: int | None = None) -> StaffView:
        """Disables (e.g. a leaver) or re-enables an account; a disabled account cannot sign in or act.
        Its past decisions stay on record. Governance roles only (``actor_id`` None: the command line)."""
        name = username.strip().lower()
        with self._write() as session:
            now = self._now()
            actor = self._governor(session, actor_id)
            staff = session.execute(select(Staff).where(Staff.username == name)).scalar_one_or_none()
            if staff is None:
                raise NotFound(f"no staff account {name!r}")
            if staff.active != active:
                staff.active = active
                action = "staff.enabled" if active else "staff.disabled"
                self._audit(session, now, actor, action, f"staff:{name}")
            return convert.staff_view(staff)

    def can_govern(self, staff_id: int) -> bool:
        """Whether the staff member holds a governance role (sees every request, audit, export)."""
        with self._read() as session:
            staff = session.get(Staff, staff_id)
            return staff is not None and staff.active and staff.role in self.policy.governance_roles

    def can_see_dashboard(self, staff_id: int) -> bool:
        """Whether the staff member may see incident counts."""
        with self._read() as session:
            staff = session.get(Staff, staff_id)
            return staff is not None and staff.active and staff.role in self.policy.dashboard_roles

    # ---- governance ----------------------------------------------------------------------------

    def admin_requests(self, actor_id: int, state: RequestState | None = None, limit: int = 500) -> list[RequestView]:
        """Every request with its decisions, newest first, at most ``limit`` (governance roles only).
        A state filter matches the effective state (so EXPIRED finds requests that ran out)."""
        # Stored states that can show as the wanted one: PENDING/PERMITTED rows may have expired since.
        stored = {
            None: None,
            RequestState.EXPIRED: [RequestState.PENDING.value, RequestState.PERMITTED.value],
        }.get(state, [state.value] if state else None)
        with self._read() as session:
            now = self._now()
            self._governor(session, actor_id)
            query = select(RecordingRequest).order_by(RecordingRequest.created_at.desc(), RecordingRequest.id.desc())
            if stored is not None:
                query = query.where(RecordingRequest.state.in_(stored))
            views: list[RequestView] = []
            for request in session.execute(query.execution_options(yield_per=200)).scalars():
                view = self._view(request, now)
                if state is None or view.state is state:
                    views.append(view)
                    if len(views) >= limit:
                        break
            return views

    def audit_entries(self, actor_id: int | None, limit: int = 200) -> list[AuditEntryView]:
        """The newest audit rows (governance roles; ``actor_id`` None means the command line)."""
        with self._read() as session:
            self._governor(session, actor_id)
            rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)).scalars()
            return [convert.audit_view(row) for row in rows]

    def audit_verify(self) -> AuditReport:
        """Checks the whole hash chain; names the first edited, removed or reordered row."""
        with self._sessions() as session:
            options = {"isolation_level": "REPEATABLE READ"} if self._postgres else {}
            with session.begin():
                session.connection(execution_options={**options, "wardsafe_read_only": True})
                head = session.get(AuditHead, 1)
                if head is None:
                    return AuditReport(ok=False, rows=0, head_hash="", first_bad_seq=1, problem="the head is missing")
                rows = session.execute(
                    select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
                ).scalars()
                check = verify_chain((as_record(row) for row in rows), head.seq, head.hash)
        return AuditReport(
            ok=check.ok,
            rows=check.rows,
            head_hash=check.head_hash,
            first_bad_seq=check.first_bad_seq,
            problem=check.problem,
        )

    def export_fhir(self, actor_id: int | None) -> dict[str, Any]:
        """A FHIR R4 Bundle (JSON-ready dict): one Consent per permit and one AuditEvent per audit row.
        The export itself is audited."""
        with self._write() as session:
            now = self._now()
            actor = self._governor(session, actor_id)
            self._audit(session, now, actor, "audit.exported", "fhir")
            requests = session.execute(
                select(RecordingRequest).join(Permit).order_by(RecordingRequest.created_at, RecordingRequest.id)
            ).scalars()
            permits = [self._view(request, now) for request in requests]
            events = [
                convert.audit_view(row)
                for row in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
            ]
        return build_bundle(self.policy, permits, events, now)
