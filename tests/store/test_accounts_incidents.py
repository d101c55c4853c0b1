"""Staff accounts (argon2, roles, areas) and incidents with counts by area and month, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conftest import Clock
from wardsafe.errors import InputError
from wardsafe.permits.errors import NotAllowed, NotFound
from wardsafe.store.service import NewIncident, PermissionService


def test_staff_accounts(service: PermissionService, staff_ids: dict[str, int]) -> None:
    added = service.add_staff("  Dev.Kumar ", "Dev Kumar", "correct horse", role="manager", areas=["mri-1"])
    assert (added.username, added.role, added.areas) == ("dev.kumar", "manager", ["mri-1"])
    assert service.authenticate("DEV.KUMAR", "correct horse") == added
    assert service.authenticate("dev.kumar", "wrong horse") is None
    assert service.authenticate("nobody", "correct horse") is None
    assert [s.username for s in service.list_area_staff("mri-1")] == ["dev.kumar"]
    assert [s.username for s in service.list_area_staff("radiotherapy-1")] == ["alice", "bob", "mona"]
    assert service.get_staff(added.id) == added
    with pytest.raises(NotFound):
        service.get_staff(99999)

    with pytest.raises(InputError, match="taken"):
        service.add_staff("dev.kumar", "Another", "password123")
    with pytest.raises(InputError, match="at least 8"):
        service.add_staff("eve", "Eve", "short")
    with pytest.raises(InputError, match="no such area"):
        service.add_staff("eve", "Eve", "password123", areas=["moon-base"])
    with pytest.raises(InputError, match="role"):
        service.add_staff("eve", "Eve", "password123", role="king")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="username"):
        service.add_staff("e v e", "Eve", "password123")
    # Only governance staff add accounts from the web; the command line (actor None) always may.
    with pytest.raises(NotAllowed):
        service.add_staff("eve", "Eve", "password123", actor_id=staff_ids["mona"])
    assert service.add_staff("eve", "Eve", "password123", actor_id=staff_ids["gov"]).username == "eve"

    assert service.can_govern(staff_ids["gov"]) and not service.can_govern(staff_ids["mona"])
    assert service.can_see_dashboard(staff_ids["mona"]) and not service.can_see_dashboard(staff_ids["alice"])
    with pytest.raises(NotAllowed):
        service.list_staff(staff_ids["alice"])


def test_password_is_stored_as_argon2id(service: PermissionService) -> None:
    from sqlalchemy import select

    from wardsafe.store.db import make_sessionmaker, session_scope
    from wardsafe.store.models import Staff

    service.add_staff("fay", "Fay", "a long passphrase")
    with session_scope(make_sessionmaker(service.engine), read_only=True) as session:
        stored = session.execute(select(Staff.password_hash).where(Staff.username == "fay")).scalar_one()
    assert stored.startswith("$argon2id$") and "a long passphrase" not in stored


def test_incidents_and_counts_by_area_and_month(
    service: PermissionService, staff_ids: dict[str, int], clock: Clock
) -> None:
    clock.now = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
    # 31 March 23:30 UTC is already 1 April in London (BST): counted in April, the trust's month.
    times = [
        ("main-waiting", datetime(2026, 3, 31, 23, 30, tzinfo=UTC)),
        ("main-waiting", datetime(2026, 3, 31, 22, 30, tzinfo=UTC)),
        ("main-waiting", datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        ("chemo-day-unit", datetime(2026, 4, 9, 9, 0, tzinfo=UTC)),
    ]
    for area, at in times:
        logged = service.log_incident(
            staff_ids["alice"], NewIncident(area_id=area, kind="covert_recording", occurred_at=at, description="phone")
        )
        assert logged.reported_by == "Alice Ng (RN)"
    counts = [(c.area_id, c.month, c.count) for c in service.incident_counts(staff_ids["mona"])]
    assert counts == [("chemo-day-unit", "2026-04", 1), ("main-waiting", "2026-03", 2), ("main-waiting", "2026-04", 1)]
    listed = service.list_incidents(staff_ids["gov"], area_id="main-waiting")
    assert [i.occurred_at for i in listed] == sorted((t for a, t in times if a == "main-waiting"), reverse=True)

    with pytest.raises(NotAllowed):
        service.incident_counts(staff_ids["alice"])
    with pytest.raises(InputError, match="future"):
        service.log_incident(
            staff_ids["alice"],
            NewIncident(area_id="main-waiting", kind="other", occurred_at=clock.now + timedelta(hours=1)),
        )
    with pytest.raises(NotFound):
        service.log_incident(staff_ids["alice"], NewIncident(area_id="nowhere", kind="other", occurred_at=clock.now))
    actions = [e.action for e in service.audit_entries(None, limit=10)]
    assert actions.count("incident.logged") == 4


def test_areas_come_from_the_policy(service: PermissionService) -> None:
    areas = service.list_areas()
    assert [a.id for a in areas][:2] == ["radiotherapy-1", "chemo-day-unit"]
    assert service.get_area("main-waiting").kind == "waiting_area"
    assert service.timezone == "Europe/London"
    with pytest.raises(NotFound):
        service.get_area("roof")


def test_disabled_staff_cannot_sign_in_or_act(service: PermissionService, staff_ids: dict[str, int]) -> None:
    from wardsafe.permits.model import DecisionKind, Media, Purpose
    from wardsafe.store.service import NewRequest

    new = NewRequest(
        area_id="radiotherapy-1", media=[Media.PHOTO], purpose=Purpose.FAMILY, patient_name="P", contact="07700 900123",
        staff=["bob"],
    )  # fmt: skip
    code = service.create_request(new).request.code
    assert not service.set_staff_active("BOB", False).active
    assert service.authenticate("bob", "bob-password") is None
    with pytest.raises(NotAllowed):
        service.decide(staff_ids["bob"], code, DecisionKind.AGREE)
    with pytest.raises(InputError, match="is not an active staff account"):
        service.create_request(new)
    assert service.set_staff_active("bob", True, actor_id=staff_ids["gov"]).active
    assert service.authenticate("bob", "bob-password") is not None
    with pytest.raises(NotAllowed):
        service.set_staff_active("bob", False, actor_id=staff_ids["mona"])
    with pytest.raises(NotFound):
        service.set_staff_active("nobody", False)
    actions = [e.action for e in service.audit_entries(None, limit=3)]
    assert actions[:2] == ["staff.enabled", "staff.disabled"]
