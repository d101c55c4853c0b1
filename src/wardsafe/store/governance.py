"""Governance: every request, the audit trail, its check and the FHIR export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from wardsafe.audit.chain import verify_chain
from wardsafe.audit.fhir import build_bundle
from wardsafe.audit.replay import PermitFacts, RequestFacts, StaffFacts, differences, replay
from wardsafe.permits.model import RequestState
from wardsafe.store import convert
from wardsafe.store.audit_log import as_record
from wardsafe.store.core import ServiceCore
from wardsafe.store.models import AuditEvent, AuditHead, Permit, RecordingRequest, Staff
from wardsafe.store.views import (
    AuditEntryView,
    AuditReport,
    RequestView,
)


class GovernancePart(ServiceCore):
    """What information-governance staff and the command line see."""

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
        """Checks the whole keyed hash chain (naming the first edited, removed, reordered or forged row),
        then replays its events and names every request, decision, permit and account row that disagrees."""
        with self._sessions() as session:
            options = {"isolation_level": "REPEATABLE READ"} if self._postgres else {}
            with session.begin():
                # One snapshot for the chain and the rows, so a write in between cannot look like tampering.
                session.connection(execution_options={**options, "wardsafe_read_only": True})
                head = session.get(AuditHead, 1)
                if head is None:
                    return AuditReport(ok=False, rows=0, head_hash="", first_bad_seq=1, problem="the head is missing")
                records = [
                    as_record(row)
                    for row in session.execute(
                        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
                    ).scalars()
                ]
                check = verify_chain(records, head.seq, head.hash, self.audit_key)
                requests = [
                    _request_facts(row)
                    for row in session.execute(select(RecordingRequest).execution_options(yield_per=500)).scalars()
                ]
                staff = [
                    StaffFacts(row.username, row.role, row.active) for row in session.execute(select(Staff)).scalars()
                ]
        mismatches = differences(replay(records), requests, staff) if check.ok else []
        return AuditReport(
            ok=check.ok and not mismatches,
            rows=check.rows,
            head_hash=check.head_hash,
            first_bad_seq=check.first_bad_seq,
            problem=check.problem or (f"{len(mismatches)} rows disagree with the audit trail" if mismatches else None),
            mismatches=mismatches,
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


def _request_facts(row: RecordingRequest) -> RequestFacts:
    """A stored request as the replay compares it."""
    permit = row.permit
    return RequestFacts(
        code=row.code,
        state=row.state,
        decisions={inv.staff.username: inv.decision for inv in row.involvements},
        permit=None
        if permit is None
        else PermitFacts(
            code=permit.code,
            valid_until=permit.valid_until.isoformat(),
            conditions=sorted(convert.json_list(permit.conditions)),
            unidentifiable_staff=sorted(convert.json_list(permit.unidentifiable_staff)),
            used=permit.used_at is not None,
            withdrawn=permit.withdrawn_at is not None,
        ),
    )
