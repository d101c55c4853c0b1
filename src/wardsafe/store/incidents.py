"""Incidents of covert or refused-permission recording, and their counts for managers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from wardsafe.errors import InputError
from wardsafe.permits.errors import NotAllowed
from wardsafe.store import convert
from wardsafe.store.core import ServiceCore, clean_text
from wardsafe.store.models import Incident, Staff
from wardsafe.store.views import (
    IncidentCount,
    IncidentView,
    NewIncident,
)


class IncidentsPart(ServiceCore):
    """Logging incidents and counting them."""

    def log_incident(self, staff_id: int, new: NewIncident) -> IncidentView:
        """Any active staff member logs an incident in an area of the policy."""
        area = self.policy.area(new.area_id)
        if new.occurred_at.tzinfo is None:
            raise InputError("the incident time needs a time zone")
        description = clean_text(new.description, "the description", 2000, required=False, multiline=True) or ""
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

