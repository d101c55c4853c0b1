"""Phone layout with the data people really type (issue 12, item 13): long e-mail addresses, pasted links
and long notes wrap on every page at 390 px; tables on admin pages fit a phone or scroll inside their
own box, never the page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from wardsafe.store.service import NewIncident, NewRequest
from web.browsing import phone, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "maximiliana.featherstonehaugh-cholmondeley@an-extremely-long-trust-domain.nhs.example.co.uk"
LINK = "https://www.example.org/patients/recordings/shared/2026/12/05/consultation-radiotherapy-week3?ref=abcdef"
NOTE = f"My daughter will film. Background: {LINK} " + "Supercalifragilisticexpialidocious" * 4 + " thanks"
NAME = "Maximiliana-Alexandrina Featherstonehaugh-Cholmondeley-Worthington"
STAFF_NAME = "Dr Bartholomew Featherstonehaugh-Cholmondeley (consultant clinical oncologist)"

# Whatever overflows the page, and every table box, checked in the page itself. The width is the layout
# viewport's (clientWidth): on a phone, Chromium zooms out to show a too-wide page, which makes innerWidth
# grow with the content and hides the overflow.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('main *, header *')) {
    if (el.closest('.table-wrap')) continue;  // tables may scroll inside their own box
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) wide.push(`${el.tagName}.${el.className}`);
  }
  const tables = [...document.querySelectorAll('table')].map(table => {
    const wrap = table.closest('.table-wrap');
    const scrolls = wrap && ['auto', 'scroll'].includes(getComputedStyle(wrap).overflowX);
    return {fits: table.getBoundingClientRect().right <= width + 1,
            own_box: !!scrolls && wrap.getBoundingClientRect().right <= width + 1};
  });
  return {scrollWidth: document.documentElement.scrollWidth, width, wide, tables};
}"""


def _long_data(service: Any, staff_ids: dict[str, int]) -> dict[str, str]:
    """Requests, decisions, a withdrawal and an incident carrying long unbroken text; their paths."""
    long_staff = service.add_staff("bart", STAFF_NAME, "bart-password", areas=["radiotherapy-1"])

    def ask(purpose: str) -> Any:
        return service.create_request(
            NewRequest(area_id="radiotherapy-1", media=["video", "photo", "audio"], purpose=purpose,
                       patient_name=NAME, contact=EMAIL, staff=["alice", "bob", "bart"], note=NOTE)
        )  # fmt: skip

    waiting, permitted, declined = ask("social_media"), ask("family"), ask("personal_record")
    for who in ("alice", "bob"):
        service.decide(staff_ids[who], permitted.request.code, "agree_if_unidentifiable")
    service.decide(long_staff.id, permitted.request.code, "agree")
    withdrawn = ask("family")
    for who in (staff_ids["alice"], staff_ids["bob"], long_staff.id):
        service.decide(who, withdrawn.request.code, "agree")
    service.withdraw(staff_ids["bob"], withdrawn.request.code, f"Please see {LINK} {NOTE}"[:500])
    for who in (staff_ids["alice"], staff_ids["bob"], long_staff.id):  # everyone declines: no permit
        service.decide(who, declined.request.code, "decline", ("Declined" + LINK * 4)[:500])
    service.log_incident(
        staff_ids["carol"],
        NewIncident(area_id="chemo-day-unit", kind="covert_recording", occurred_at=service.clock(), description=NOTE),
    )
    return {
        "waiting": waiting.request.code,
        "permitted": permitted.token,
        "permit_code": permitted.request.permit.code if permitted.request.permit else "",
        "declined": declined.token,
        "withdrawn": withdrawn.token,
        "withdrawn_code": withdrawn.request.code,
    }


def test_13_no_page_scrolls_sideways_at_390px_with_long_real_data(  # type: ignore[no-untyped-def]
    browser, base_url: str, service, staff_ids, tmp_path: Path
) -> None:
    data = _long_data(service, staff_ids)
    permit_code = service.get_request_by_token(data["permitted"]).permit.code
    pages: dict[str, tuple[str | None, str]] = {
        "home": (None, "/"),
        "form": (None, "/a/radiotherapy-1"),
        "refused area": (None, "/a/main-waiting"),
        "permit": (None, f"/r/{data['permitted']}"),
        "declined": (None, f"/r/{data['declined']}"),
        "withdrawn": (None, f"/r/{data['withdrawn']}"),
        "cancel": (None, f"/r/{data['permitted']}/cancel"),
        "login": (None, "/login"),
        "inbox": ("bart", "/staff"),
        "decide": ("bart", f"/staff/requests/{data['waiting']}/decision?decision=decline"),
        "staff request": ("bob", f"/staff/requests/{data['withdrawn_code']}"),
        "check": ("alice", f"/staff/check?code={permit_code}"),
        "incident form": ("carol", "/staff/incidents/new"),
        "dashboard": ("mona", "/admin/dashboard"),
        "all requests": ("gov", "/admin/requests"),
        "incidents": ("gov", "/admin/incidents"),
        "audit": ("gov", "/admin/audit"),
        "staff accounts": ("gov", "/admin/staff"),
        "signs": ("gov", "/admin/signs"),
        "sign": ("gov", "/admin/signs/radiotherapy-1"),
    }
    shots = Path(os.environ.get("WARDSAFE_SCREENSHOTS", tmp_path))
    problems = []
    signed_in: dict[str | None, Any] = {}
    for name, (who, path) in pages.items():
        if who not in signed_in:
            signed_in[who] = phone(browser)
            if who:
                sign_in(signed_in[who], base_url, who)
        page = signed_in[who]
        response = page.goto(base_url + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        if os.environ.get("WARDSAFE_SCREENSHOTS"):
            page.screenshot(path=str(shots / f"phone-long-{name.replace(' ', '-')}.png"), full_page=True)
        seen = page.evaluate(MEASURE)
        if seen["scrollWidth"] > seen["width"] or seen["wide"]:
            problems.append(f"{name}: {seen['scrollWidth']}px wide at {seen['width']}px; too wide: {seen['wide'][:4]}")
        for table in seen["tables"]:
            if not (table["fits"] or table["own_box"]):
                problems.append(f"{name}: a table neither fits nor scrolls inside its own box")
    assert not problems, "\n".join(problems)
    for page in signed_in.values():
        page.context.close()
