"""Appending to the audit trail inside the caller's transaction (the writer lives beside the tables;
``wardsafe.audit`` holds the pure chain rules and the FHIR export, and imports nothing from the store).

Details must never hold a patient's name or contact, nor any other identifier: use request codes,
staff usernames, area ids and states.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wardsafe.audit.chain import AuditRecord, canonical_json, row_hash
from wardsafe.store.models import AuditEvent, AuditHead


def append_event(
    session: Session,
    key: bytes,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Adds the next audit row in ``session``'s transaction (committed or rolled back with it), its hash
    keyed with ``key`` (the audit key, kept apart from the database).

    The head row is locked first (FOR UPDATE on PostgreSQL; SQLite write transactions are already
    exclusive), so concurrent writers append one after another and the chain never forks.
    """
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    seq = head.seq + 1
    details_text = canonical_json(details or {})
    digest = row_hash(key, head.hash, seq, at, actor, action, subject, details_text)
    event = AuditEvent(seq=seq, at=at, actor=actor, action=action, subject=subject, details=details_text)
    event.prev_hash, event.hash = head.hash, digest
    session.add(event)
    head.seq, head.hash = seq, digest
    session.flush()
    return event


def as_record(event: AuditEvent) -> AuditRecord:
    """The hashed content of a stored row."""
    return AuditRecord(
        event.seq, event.at, event.actor, event.action, event.subject, event.details, event.prev_hash, event.hash
    )
