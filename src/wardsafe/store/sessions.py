"""Browser sessions kept on the server: the cookie carries only a random id, stored here as its SHA-256.

A session ends when its row is deleted: at sign-out, when the account is disabled, on "sign out
everywhere", after ``rules.session_idle`` without a request, and ``rules.session_max`` after it began.
Seen-times are written at most once a minute, so reading a page rarely costs a write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select

from wardsafe.store import codes
from wardsafe.store.core import ServiceCore
from wardsafe.store.models import Staff, WebSession

TOUCH_EVERY = timedelta(minutes=1)  # how stale a seen-time may get before a request rewrites it
PURGE_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class StoredSession:
    """A live session: who is signed in (None: nobody) and the rest of its data."""

    staff_id: int | None
    data: dict[str, Any]
    last_seen_at: datetime


class SessionsPart(ServiceCore):
    """Server-side sessions: load, save, end one, end all of an account's."""

    _last_purge: datetime | None = None

    def load_session(self, session_id: str) -> StoredSession | None:
        """The live session with this id, or None (unknown, timed out, or its account is disabled)."""
        now = self._now()
        with self._read() as session:
            # One query on every staff request: the session row and whether its account may still act.
            found = session.execute(
                select(WebSession, Staff.active)
                .outerjoin(Staff, Staff.id == WebSession.staff_id)
                .where(WebSession.id_hash == codes.token_hash(session_id))
            ).first()
            if found is None:
                return None
            row, active = found
            if self._timed_out(row, now) or (row.staff_id is not None and not active):
                return None
            data = json.loads(row.data)
            return StoredSession(row.staff_id, data if isinstance(data, dict) else {}, row.last_seen_at)

    def _timed_out(self, row: WebSession, now: datetime) -> bool:
        return now - row.last_seen_at > self.rules.session_idle or now - row.created_at > self.rules.session_max

    def save_session(self, session_id: str, staff_id: int | None, data: dict[str, Any], *, renew: bool) -> None:
        """Stores the session's data (creating it if new). ``renew`` False only refreshes its seen-time,
        and only when that is over a minute old."""
        now = self._now()
        key = codes.token_hash(session_id)
        with self._write() as session:
            row = session.get(WebSession, key)
            if row is None:
                row = WebSession(id_hash=key, created_at=now, last_seen_at=now, staff_id=staff_id, data="{}")
                session.add(row)
                self._purge(session, now)
            elif not renew and now - row.last_seen_at < TOUCH_EVERY:
                return
            row.staff_id, row.data, row.last_seen_at = staff_id, json.dumps(data), now

    def needs_touch(self, stored: StoredSession) -> bool:
        """Whether a request on this session should refresh its seen-time (so idle time restarts)."""
        return self._now() - stored.last_seen_at >= TOUCH_EVERY

    def end_session(self, session_id: str) -> None:
        """Ends one session now (sign-out); a copy of its cookie no longer works."""
        with self._write() as session:
            session.execute(delete(WebSession).where(WebSession.id_hash == codes.token_hash(session_id)))

    def end_staff_sessions(self, username: str, actor_id: int | None = None) -> int:
        """Ends every session of an account ("sign out everywhere"); the account itself, a governance
        role, or ``None`` (the command line) may do it. Audited; returns how many were ended."""
        name = username.strip().lower()
        with self._write() as session:
            now = self._now()
            staff = self._account(session, name)
            actor = f"staff:{name}" if actor_id == staff.id else self._governor(session, actor_id)
            ended = len(session.execute(select(WebSession.id_hash).where(WebSession.staff_id == staff.id)).all())
            session.execute(delete(WebSession).where(WebSession.staff_id == staff.id))
            self._audit(session, now, actor, "staff.signed_out_everywhere", f"staff:{name}", sessions=ended)
            return ended

    def _purge(self, session: Any, now: datetime) -> None:
        # Timed-out rows are dead already (load ignores them); deleting them now and then keeps the table small.
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        session.execute(
            delete(WebSession).where(
                or_(
                    WebSession.last_seen_at < now - self.rules.session_idle,
                    WebSession.created_at < now - self.rules.session_max,
                )
            )
        )
