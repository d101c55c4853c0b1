"""The permission service's plumbing, shared by its parts: transactions, the clock, audit rows and lookups.

Every public method of a part runs in one database transaction; every state change appends its audit
row in that same transaction, so either both are stored or neither is.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Self

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from wardsafe.config import Settings, get_settings, kept_secret
from wardsafe.errors import InputError
from wardsafe.permits import lifecycle
from wardsafe.permits.errors import NotAllowed, NotFound
from wardsafe.permits.model import RequestState
from wardsafe.permits.policy import Policy
from wardsafe.store import codes, convert
from wardsafe.store.audit_log import append_event
from wardsafe.store.db import init_db, make_sessionmaker, session_scope
from wardsafe.store.models import RecordingRequest, Staff
from wardsafe.store.policy_source import load_policy
from wardsafe.store.views import RequestView

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CODE_ATTEMPTS = 8  # random codes collide rarely; retry a few times before giving up


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the service's default clock)."""
    return datetime.now(UTC)


# Characters no field may hold: NUL (PostgreSQL refuses it outright), other C0/C1 controls, and the
# bidirectional overrides and isolates that make text display in a different order from how it reads
# ("Trojan Source"). Tabs and line breaks are allowed only in multi-line fields.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n\r]")
_PHONE = re.compile(r"(?:\+44|0044|0)\d{9,10}")  # a UK number, once spaces, dashes, dots and brackets go
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


def has_forbidden_characters(text: str, multiline: bool = False) -> bool:
    """Whether ``text`` holds a character no field may store (see ``_FORBIDDEN``)."""
    return bool(_FORBIDDEN.search(text) or (not multiline and _LINE_BREAKS.search(text)))


def clean_text(
    text: str | None, what: str, max_length: int, required: bool = True, multiline: bool = False
) -> str | None:
    """Trimmed text; InputError if required and blank, too long, or holding control or text-direction
    characters (refused the same way on SQLite and PostgreSQL)."""
    value = (text or "").strip()
    if has_forbidden_characters(value, multiline):
        raise InputError(f"{what} contains control or text-direction characters; please type it again")
    if not value:
        if required:
            raise InputError(f"{what} is required")
        return None
    if len(value) > max_length:
        raise InputError(f"{what} is longer than {max_length} characters")
    return value


def contact_kind(contact: str) -> Literal["phone", "email"] | None:
    """Whether ``contact`` is a UK phone number (spaces, dashes, dots and brackets allowed) or an e-mail
    address; None when it is neither."""
    if _PHONE.fullmatch(re.sub(r"[\s().-]", "", contact)):
        return "phone"
    if _EMAIL.fullmatch(contact):
        return "email"
    return None


def check_contact(contact: str) -> str:
    """A UK phone number or an e-mail address, as typed (trimmed); InputError otherwise."""
    if contact_kind(contact) is not None:
        return contact
    raise InputError("give a UK phone number (like 07700 900123) or an e-mail address, so that staff can reach you")


def required_text(text: str | None, what: str, max_length: int) -> str:
    """Trimmed text that must be given; InputError if blank or too long."""
    value = clean_text(text, what, max_length)
    if value is None:  # clean_text raises for a blank required field; this tells the type checker so
        raise InputError(f"{what} is required")
    return value


@dataclass(frozen=True)
class ServiceRules:
    """Limits the service enforces whatever the caller (web app or command line); see ``config.Settings``."""

    session_idle: timedelta = timedelta(minutes=30)
    session_max: timedelta = timedelta(hours=12)
    login_slow_after: int = 3
    login_lock_after: int = 10
    login_lock_for: timedelta = timedelta(minutes=15)
    max_pending_per_staff: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceRules:
        """The rules the ``WARDSAFE_*`` settings describe."""
        return cls(
            session_idle=timedelta(minutes=settings.session_idle_minutes),
            session_max=timedelta(hours=settings.session_max_hours),
            login_slow_after=settings.login_slow_after,
            login_lock_after=settings.login_lock_after,
            login_lock_for=timedelta(minutes=settings.login_lock_minutes),
            max_pending_per_staff=settings.max_pending_per_staff,
        )


AUDIT_KEY_FILE = "audit-key"


def load_audit_key(settings: Settings) -> bytes:
    """The audit chain's HMAC key: ``WARDSAFE_AUDIT_KEY``, else the one kept in the data folder (0600)."""
    return kept_secret(settings.data_dir, AUDIT_KEY_FILE, settings.audit_key, "WARDSAFE_AUDIT_KEY").encode()


class ServiceCore:
    """What every part of the permission service stands on: one database, one policy, one clock, the
    audit key and the rules."""

    def __init__(
        self,
        engine: Engine,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
        *,
        audit_key: bytes | None = None,
        rules: ServiceRules | None = None,
    ) -> None:
        """Uses an engine whose schema is at head (see ``wardsafe.store.db.init_db``). Without
        ``audit_key`` or ``rules``, they come from the ``WARDSAFE_*`` settings."""
        self.engine = engine
        self.policy = policy
        self.clock = clock
        if audit_key is None or rules is None:
            settings = get_settings()
            audit_key = audit_key or load_audit_key(settings)
            rules = rules or ServiceRules.from_settings(settings)
        self.audit_key = audit_key
        self.rules = rules
        self._sessions = make_sessionmaker(engine)
        self._postgres = engine.dialect.name == "postgresql"
        # SQLite lets one writer in at a time and makes the others poll with growing sleeps, which
        # gives some threads multi-second waits under load. Queueing this process's writers on a
        # lock instead hands the database over as soon as it is free (other processes still poll).
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()

    @classmethod
    def open(
        cls,
        database_url: str,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
        *,
        audit_key: bytes | None = None,
        rules: ServiceRules | None = None,
    ) -> Self:
        """Migrates the database at ``database_url`` to head and returns a service over it."""
        return cls(init_db(database_url), policy, clock, audit_key=audit_key, rules=rules)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Self:
        """The service for this process: database from ``WARDSAFE_DATABASE_URL`` (or SQLite under
        ``WARDSAFE_DATA_DIR``), policy from ``WARDSAFE_POLICY`` (or the default). Migrates to head;
        PolicyError (a ConfigError) if the policy is invalid, so a server refuses to start."""
        settings = settings or get_settings()
        policy = load_policy(settings.policy_file)
        rules = ServiceRules.from_settings(settings)
        return cls.open(settings.resolved_database_url, policy, audit_key=load_audit_key(settings), rules=rules)

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
        append_event(session, self.audit_key, at=at, actor=actor, action=action, subject=subject, details=details)

    def _staff(self, session: Session, staff_id: int) -> Staff:
        """The active account acting now; NotAllowed if it does not exist or was deactivated."""
        staff = session.get(Staff, staff_id)
        if staff is None or not staff.active:
            raise NotAllowed("this staff account does not exist or is not active")
        return staff

    def _account(self, session: Session, username: str) -> Staff:
        """The account with this username (as typed: trimmed, any case), active or not; NotFound if none."""
        name = username.strip().lower()
        staff = session.execute(select(Staff).where(Staff.username == name)).scalar_one_or_none()
        if staff is None:
            raise NotFound(f"no staff account {name!r}")
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
