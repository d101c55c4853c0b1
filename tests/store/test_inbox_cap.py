"""One flood of requests cannot swamp a staff inbox: at most `max_pending_per_staff` requests await one
staff member's decision at once (WARDSAFE_MAX_PENDING_PER_STAFF); SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from conftest import Clock
from wardsafe.config import Settings
from wardsafe.errors import InputError
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.core import ServiceRules
from wardsafe.store.db import init_db
from wardsafe.store.policy_source import load_policy
from wardsafe.store.service import NewRequest, PermissionService


def ask(service: PermissionService, staff: list[str], media: Media = Media.VIDEO) -> str:
    created = service.create_request(
        NewRequest(area_id="radiotherapy-1", media=[media], purpose=Purpose.FAMILY, patient_name="P",
                   contact="07700 900123", staff=staff)  # fmt: skip
    )
    return created.request.code


def test_a_flood_of_requests_stops_at_the_cap_for_each_person(
    seeded_url: tuple[str, dict[str, int]], clock: Clock
) -> None:
    url, staff_ids = seeded_url
    engine = init_db(url)
    try:
        service = PermissionService(engine, load_policy(), clock, rules=ServiceRules(max_pending_per_staff=3))
        codes = [ask(service, ["alice"]) for _ in range(3)]
        with pytest.raises(InputError, match="too many requests waiting for them"):
            ask(service, ["alice"])
        with pytest.raises(InputError, match="too many requests waiting"):
            ask(service, ["bob", "alice"])  # with a colleague too: still refused, nothing stored for bob
        assert len(service.staff_inbox(staff_ids["alice"])) == 3
        assert service.staff_inbox(staff_ids["bob"]) == []
        ask(service, ["bob"])  # others are not affected

        service.decide(staff_ids["alice"], codes[0], DecisionKind.AGREE)  # a decision makes room
        ask(service, ["alice"])
        with pytest.raises(InputError):
            ask(service, ["alice"])
        clock.advance(days=3)  # requests nobody decided expire and stop counting
        ask(service, ["alice"])
    finally:
        engine.dispose()


def test_the_cap_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServiceRules.from_settings(Settings()).max_pending_per_staff == 50
    monkeypatch.setenv("WARDSAFE_MAX_PENDING_PER_STAFF", "7")
    assert ServiceRules.from_settings(Settings()).max_pending_per_staff == 7
