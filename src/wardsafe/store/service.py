"""The permission service: the one place the web app and the CLI go to read or change permissions.

``PermissionService`` is one façade over small parts, each in its own module:

- ``store.core``: transactions, the clock, audit rows and lookups shared by the parts;
- ``store.requests``: areas, patients' requests (by token), staff decisions, permits;
- ``store.incidents``: incidents and their counts;
- ``store.accounts``: staff accounts, sign-in (with lock-out) and roles;
- ``store.sessions``: browser sessions kept on the server;
- ``store.governance``: every request, the audit trail, its check and the FHIR export;
- ``store.recordings``: recordings uploaded under a permit and their redaction jobs.

Every method runs in one database transaction; every state change appends its audit row in that
same transaction, so either both are stored or neither is. Domain rules come from ``wardsafe.permits``
(pure functions); the parts load rows, apply those rules, and store the result.

Actors: patients are identified only by their request's unguessable token; staff by their account
id (the web app keeps it in the session after ``authenticate``). Methods raise the errors in
``wardsafe.permits.errors`` (NotFound, NotAllowed, InvalidTransition) and ``wardsafe.errors.InputError``.
All datetimes are timezone-aware UTC; ``PermissionService.timezone`` names the trust's zone for display.
Expiry is computed from the clock when a request is read; it is not a stored state change.
"""

from __future__ import annotations

from wardsafe.store.accounts import AccountsPart
from wardsafe.store.core import utcnow
from wardsafe.store.governance import GovernancePart
from wardsafe.store.incidents import IncidentsPart
from wardsafe.store.recordings import RecordingsPart, RecordingView
from wardsafe.store.requests import RequestsPart
from wardsafe.store.sessions import SessionsPart, StoredSession
from wardsafe.store.views import (
    AreaView,
    AuditEntryView,
    AuditReport,
    ConditionView,
    CreatedRequest,
    Dashboard,
    DecisionView,
    InboxPage,
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
    awaiting_decision,
    dashboard_figures,
    involved_not_awaiting,
    page_of,
)

INBOX_PAGE_SIZE = 20  # requests a page of the staff inbox shows; a flood of requests pages, never one endless list

__all__ = [
    "AreaView",
    "AuditEntryView",
    "AuditReport",
    "ConditionView",
    "CreatedRequest",
    "Dashboard",
    "InboxPage",
    "DecisionView",
    "IncidentCount",
    "IncidentView",
    "NewIncident",
    "NewRequest",
    "PermissionService",
    "PermitView",
    "PolicyAnswer",
    "RecordingView",
    "RequestView",
    "Role",
    "StaffView",
    "StoredSession",
    "View",
    "utcnow",
]


class PermissionService(RequestsPart, IncidentsPart, AccountsPart, SessionsPart, GovernancePart, RecordingsPart):
    """Permissions over one database and one policy. Thread-safe: each call opens its own session."""

    # Pages that only read run their queries from ``store.views``; the façade checks who asks.

    def dashboard(self, staff_id: int) -> Dashboard:
        """Every figure of the governance dashboard (dashboard roles only)."""
        with self._read() as session:
            self._require_dashboard(session, staff_id)
            return dashboard_figures(session, self.policy, self._now())

    def staff_inbox_page(
        self, staff_id: int, awaiting_page: int = 1, involved_page: int = 1, per_page: int = INBOX_PAGE_SIZE
    ) -> InboxPage:
        """One page of the staff member's inbox: what awaits their decision, and what they were involved in."""
        with self._read() as session:
            now = self._now()
            staff = self._staff(session, staff_id)
            awaiting, awaiting_total, awaiting_shown = page_of(
                session, awaiting_decision(staff, now), awaiting_page, per_page
            )
            involved, involved_total, involved_shown = page_of(
                session, involved_not_awaiting(staff, now), involved_page, per_page
            )
            return InboxPage(
                awaiting=[self._view(request, now) for request in awaiting],
                awaiting_total=awaiting_total,
                awaiting_page=awaiting_shown,
                involved=[self._view(request, now) for request in involved],
                involved_total=involved_total,
                involved_page=involved_shown,
                per_page=per_page,
            )
