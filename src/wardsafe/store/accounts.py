"""Staff accounts: creation, sign-in, enabling and disabling, and role checks."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from wardsafe.errors import InputError
from wardsafe.permits.errors import NotFound
from wardsafe.permits.policy import ROLES
from wardsafe.store import convert
from wardsafe.store.core import USERNAME, ServiceCore, clean_text
from wardsafe.store.models import Staff, WebSession
from wardsafe.store.models import StaffArea as StaffAreaRow
from wardsafe.store.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from wardsafe.store.views import (
    Role,
    StaffView,
)


class AccountsPart(ServiceCore):
    """Staff accounts and what their roles allow."""

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
        shown = clean_text(display_name, "the display name", 120)
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
                    public_id=secrets.token_urlsafe(12),
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
                if not active:  # a leaver's copied cookie must stop working at once
                    session.execute(delete(WebSession).where(WebSession.staff_id == staff.id))
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

