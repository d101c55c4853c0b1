"""Governance: every request, the audit trail, its check and the FHIR export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from wardsafe.audit.chain import verify_chain
from wardsafe.audit.fhir import build_bundle
from wardsafe.permits.model import RequestState
from wardsafe.store import convert
from wardsafe.store.audit_log import as_record
from wardsafe.store.core import ServiceCore
from wardsafe.store.models import AuditEvent, AuditHead, Permit, RecordingRequest
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
