"""Requests, decisions and permits: patients ask (by token), staff decide, withdraw and check permits."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
from wardsafe.permits.policy import AreaPolicy
from wardsafe.store import codes, convert
from wardsafe.store.core import (
    CODE_ATTEMPTS,
    ServiceCore,
    check_contact,
    clean_text,
    has_forbidden_characters,
    required_text,
)
from wardsafe.store.models import Involvement, Permit, RecordingRequest, Staff
from wardsafe.store.models import StaffArea as StaffAreaRow
from wardsafe.store.views import (
    AreaView,
    CreatedRequest,
    NewRequest,
    PermitView,
    PolicyAnswer,
    RequestView,
    StaffView,
    awaiting_decision,
)


class RequestsPart(ServiceCore):
    """Areas and their policy, patients' requests, staff decisions and permits."""

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
        patient_name = required_text(new.patient_name, "the name staff can call you", 80)
        contact = check_contact(required_text(new.contact, "how to reach you", 120))
        note = clean_text(new.note, "the note", 500, required=False, multiline=True)
        if contains_nhs_number(f"{patient_name} {note or ''}"):
            raise InputError("please do not give your NHS number: WardSafe does not need it")
        media = sorted(set(new.media))
        answer = lifecycle.answer_request(self.policy, area, media, new.purpose)
        refs = list(dict.fromkeys(ref.strip() for ref in new.staff if ref.strip()))
        if answer.verdict is Verdict.NEEDS_DECISION and not refs:
            raise InputError("name every member of staff involved: each of them must agree")
        if len(refs) > 20:
            raise InputError("at most 20 members of staff can be named")
        if any(has_forbidden_characters(ref) or len(ref) > 64 for ref in refs):
            raise InputError("a member of staff named is not an active staff account: check the username or id")
        token = codes.new_token()
        for _ in range(CODE_ATTEMPTS):
            now = self._now()
            try:
                with self._write() as session:
                    staff = self._involved_staff(session, area, refs)
                    if answer.verdict is Verdict.NEEDS_DECISION:
                        self._check_inbox_room(session, staff, now)
                    usernames = [person.username for person in staff]
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

    def _check_inbox_room(self, session: Session, staff: list[Staff], now: datetime) -> None:
        """InputError if a named staff member already has ``rules.max_pending_per_staff`` requests awaiting
        their decision: one flood of requests (one sender or many) cannot bury a colleague's inbox."""
        waiting = session.execute(
            select(Involvement.staff_id, func.count())
            .join(RecordingRequest, RecordingRequest.id == Involvement.request_id)
            .where(
                Involvement.staff_id.in_([person.id for person in staff]),
                Involvement.decision.is_(None),
                RecordingRequest.state == RequestState.PENDING.value,
                RecordingRequest.decide_by > now,
            )
            .group_by(Involvement.staff_id)
        ).all()
        if any(count >= self.rules.max_pending_per_staff for _, count in waiting):
            raise InputError(
                "a member of staff named has too many requests waiting for them just now: "
                "ask them in person, or try again later"
            )

    def _involved_staff(self, session: Session, area: AreaPolicy, refs: list[str]) -> list[Staff]:
        """The staff named, each by their public id (patients' forms and the API) or their username (staff
        tablets, scripts). The error never repeats what was sent."""
        if not refs:
            return []
        rows = session.execute(
            select(Staff).where(or_(Staff.public_id.in_(refs), Staff.username.in_([r.lower() for r in refs])))
        ).scalars()
        by_ref: dict[str, Staff] = {}
        for row in rows:
            by_ref[row.public_id] = by_ref[row.username] = row
        found = [by_ref.get(ref) or by_ref.get(ref.lower()) for ref in refs]
        staff = [person for person in found if person is not None and person.active]
        if len(staff) < len(refs):
            raise InputError("a member of staff named is not an active staff account: check the username or id")
        if any(area.id not in person.area_ids for person in staff):
            raise InputError(f"a member of staff named is not working in {area.name}")
        return list(dict.fromkeys(staff))  # one person named twice (by id and by username) counts once

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
        """The patient declares the permit used for publishing; staff can no longer withdraw it. NotAllowed
        for a permit that does not allow publishing (asked for their own record or family)."""
        with self._write() as session:
            now = self._now()
            request = self._request_by_token(session, token, lock=True)
            request.state = lifecycle.use(self._state(request, now)).value
            request.updated_at = now
            assert request.permit is not None  # USE is legal only from PERMITTED, which has a permit
            if Condition.NO_PUBLISHING.value in convert.json_list(request.permit.conditions):
                # Saying "published" would end staff's chance to withdraw a permit that never allowed it.
                raise NotAllowed("this permit is for your own record and family only: it does not allow publishing")
            request.permit.used_at = now
            self._audit(session, now, "patient", "permit.used", request.code, permit=request.permit.code)
            return self._view(request, now)

    # ---- staff ---------------------------------------------------------------------------------

    def staff_inbox(self, staff_id: int) -> list[RequestView]:
        """Pending requests in the staff member's areas that await THEIR decision, oldest first."""
        with self._read() as session:
            now = self._now()
            staff = self._staff(session, staff_id)
            rows = session.execute(awaiting_decision(staff, now)).scalars()
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
        """Records the staff member's OWN decision (changeable while pending). When the last involved staff
        member has decided, issues the permit for those who agreed (leaving out any who declined), or
        declines the request if all declined. NotAllowed if they are not involved or the area is not
        theirs; InvalidTransition if the request is no longer pending."""
        reason = clean_text(reason, "the reason", 500, required=False, multiline=True)
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
        reason_text = clean_text(reason, "the reason for withdrawing", 500, multiline=True)
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

