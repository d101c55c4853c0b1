"""Staff accounts: creation, sign-in, enabling and disabling, and role checks."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from wardsafe.errors import InputError
from wardsafe.permits.errors import NotFound
from wardsafe.permits.policy import ROLES
from wardsafe.store import convert
from wardsafe.store.core import USERNAME, ServiceCore, clean_text, has_forbidden_characters
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
        """The active account with this username and password, or None (same work either way).

        Failed tries count against the account whatever address they come from: after
        ``rules.login_slow_after`` in a row each further try must wait (1, 2, 4 ... s, at most a minute),
        and after ``rules.login_lock_after`` the account is locked for ``rules.login_lock_for`` or until
        an admin unlocks it (audited). A locked account is refused even with the right password, with
        the same answer as a wrong one, so a sign-in never tells whether an account exists or is locked.
        A good sign-in clears the count; it never counts towards a lock."""
        name = username.strip().lower()
        if has_forbidden_characters(name) or len(name) > 200:
            name = ""  # no account has such a name: answer as for any unknown one, after the same work
        with self._read() as session:
            now = self._now()
            staff = session.execute(select(Staff).where(Staff.username == name)).scalar_one_or_none()
            view = convert.staff_view(staff) if staff is not None else None
            stored = staff.password_hash if staff is not None and staff.active else None
            locked = staff is not None and staff.locked_until is not None and staff.locked_until > now
            had_failures = staff is not None and (staff.failed_logins > 0 or staff.locked_until is not None)
            # A lock (not a short wait: that keeps its count of failures) whose time is up is lifted here, audited.
            lock_ended = (
                staff is not None and not locked and staff.locked_until is not None and staff.failed_logins == 0
            )
        if lock_ended and view is not None:
            self._end_expired_lock(view.id)
        # Verified outside the transaction: argon2 takes tens of milliseconds and holds no lock. A locked
        # account is still verified, so that the answer takes as long as any other.
        good = verify_password(stored, password)
        if view is None or locked or stored is None:
            return None
        if not good:
            self._count_failed_login(view.id)
            return None
        if had_failures:
            with self._write() as session:
                row = session.get(Staff, view.id)
                if row is not None:
                    row.failed_logins, row.locked_until = 0, None
        return view

    def _end_expired_lock(self, staff_id: int) -> None:
        with self._write() as session:
            now = self._now()
            staff = session.execute(select(Staff).where(Staff.id == staff_id).with_for_update()).scalar_one()
            until = staff.locked_until
            if until is None or until > now or staff.failed_logins:
                return  # another sign-in got here first, or this is a short wait
            staff.locked_until = None
            account = f"staff:{staff.username}"
            self._audit(session, now, "system", "staff.lock_expired", account, until=until.isoformat())

    def _count_failed_login(self, staff_id: int) -> None:
        rules = self.rules
        with self._write() as session:
            now = self._now()
            staff = session.execute(select(Staff).where(Staff.id == staff_id).with_for_update()).scalar_one()
            staff.failed_logins += 1
            failures = staff.failed_logins
            if failures >= rules.login_lock_after:
                staff.locked_until, staff.failed_logins = now + rules.login_lock_for, 0
                self._audit(
                    session, now, "system", "staff.locked", f"staff:{staff.username}",
                    failed_sign_ins=failures, until=staff.locked_until.isoformat(),
                )  # fmt: skip
            elif failures >= rules.login_slow_after:
                wait = min(2 ** (failures - rules.login_slow_after), 60)
                staff.locked_until = now + timedelta(seconds=wait)

    def unlock_staff(self, username: str, actor_id: int | None = None) -> StaffView:
        """Lifts a lock after failed sign-ins (governance roles; ``actor_id`` None: the command line). Audited."""
        name = username.strip().lower()
        with self._write() as session:
            now = self._now()
            actor = self._governor(session, actor_id)
            staff = self._account(session, name)
            staff.locked_until, staff.failed_logins = None, 0
            self._audit(session, now, actor, "staff.unlocked", f"staff:{name}")
            return convert.staff_view(staff)

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
            staff = self._account(session, name)
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

