"""The governance dashboard (issue 12, item 15) in real Chromium: governance signs in and lands on it, and
each question has a chart with its numbers beside it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wardsafe.store.service import NewIncident, NewRequest
from web.browsing import phone, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _history(service: Any, staff_ids: dict[str, int], clock: Any) -> None:
    """Five requests over two months, six timed decisions, one withdrawal and three incidents."""

    def ask(area: str, staff: list[str], media: str = "video", purpose: str = "family") -> str:
        new = NewRequest(area_id=area, media=[media], purpose=purpose, patient_name="Sam", contact="07700 900123",
                         staff=staff)  # fmt: skip
        return str(service.create_request(new).request.code)

    def decide(who: str, code: str, decision: str, after_minutes: int, start: datetime) -> None:
        clock.now = start + timedelta(minutes=after_minutes)
        service.decide(staff_ids[who], code, decision)

    october = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    clock.now = october
    first, second = ask("radiotherapy-1", ["alice", "bob"]), ask("radiotherapy-1", ["alice", "bob"])
    decide("alice", first, "agree", 30, october)
    decide("bob", first, "agree", 90, october)
    decide("alice", second, "agree_if_unidentifiable", 60, october)
    decide("bob", second, "decline", 120, october)
    service.withdraw(staff_ids["bob"], first, "Changed my mind")
    service.log_incident(staff_ids["alice"], NewIncident(area_id="radiotherapy-1", kind="covert_recording",
                                                         occurred_at=clock.now))  # fmt: skip

    november = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    clock.now = november
    third = ask("chemo-day-unit", ["alice", "carol"], purpose="personal_record")
    ask("outpatients-3", [], media="audio", purpose="consultation_audio")  # allowed outright: no decisions
    decide("alice", third, "agree", 30, november)
    decide("carol", third, "agree", 60, november)
    ask("radiotherapy-1", ["alice"])  # still waiting
    for kind in ("covert_recording", "recording_after_refusal"):
        service.log_incident(staff_ids["carol"], NewIncident(area_id="chemo-day-unit", kind=kind,
                                                             occurred_at=clock.now))  # fmt: skip


def _numbers(page: Any, figure: str) -> dict[str, str]:
    """The table of numbers beside a chart, as {row: number}."""
    section = page.get_by_test_id(figure)
    assert section.locator("svg").is_visible()  # the chart itself
    rows = section.locator("table tr").all()
    return {row.locator("th").inner_text(): row.locator("td").inner_text() for row in rows}


def test_15_governance_lands_on_a_dashboard_that_answers_their_questions(  # type: ignore[no-untyped-def]
    browser, base_url: str, service, staff_ids, clock
) -> None:
    _history(service, staff_ids, clock)
    gov = phone(browser)
    sign_in(gov, base_url, "gov")
    assert gov.url == f"{base_url}/admin/dashboard"
    assert gov.locator("h1").inner_text() == "Dashboard"

    assert _numbers(gov, "requests-by-area") == {
        "Radiotherapy suite 1 (LINAC 1)": "3",
        "Chemotherapy day unit, bay A": "1",
        "Outpatient consultation room 3": "1",
    }
    # Bob's decline left him out of the second request's permit (Alice agreed); it ran out in October.
    assert _numbers(gov, "requests-by-state") == {
        "Waiting for staff": "1",
        "Permitted": "2",
        "Withdrawn": "1",
        "Expired": "1",
    }
    assert _numbers(gov, "requests-by-month") == {
        "2026-10, Radiotherapy suite 1 (LINAC 1)": "2",
        "2026-11, Chemotherapy day unit, bay A": "1",
        "2026-11, Outpatient consultation room 3": "1",
        "2026-11, Radiotherapy suite 1 (LINAC 1)": "1",
    }
    assert _numbers(gov, "decisions") == {
        "Agreed": "4 (67%)",
        "Agreed if not identifiable": "1 (17%)",
        "Declined": "1 (17%)",
    }
    # Waits of 30, 90, 60, 120, 30 and 60 minutes from the request to each decision.
    assert gov.get_by_test_id("median-wait").inner_text() == "1 h"
    assert gov.get_by_test_id("withdrawn-count").inner_text() == "1 of 4"
    assert _numbers(gov, "withdrawals") == {"Radiotherapy suite 1 (LINAC 1)": "1"}
    assert _numbers(gov, "incidents-by-kind") == {
        "Covert recording": "2",
        "Recording after permission was refused": "1",
    }
    # The numbers sit beside the bars in the chart too, not only in the table.
    assert "4 (67%)" in gov.get_by_test_id("decisions").locator("svg").inner_html()
    assert gov.evaluate("document.documentElement.scrollWidth") <= 390
    if os.environ.get("WARDSAFE_SCREENSHOTS"):  # to look at it
        gov.screenshot(path=str(Path(os.environ["WARDSAFE_SCREENSHOTS"]) / "phone-dashboard-full.png"), full_page=True)

    mona = phone(browser)
    sign_in(mona, base_url, "mona")  # a ward manager decides on requests: she lands on her inbox
    assert mona.url == f"{base_url}/staff"
    mona.get_by_role("link", name="Dashboard").click()
    assert mona.get_by_test_id("incidents-by-month").locator("svg").is_visible()
