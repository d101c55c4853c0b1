"""The whole journey in real headless Chromium (Debian's), against the real server, plus phone checks.

Patient request -> two staff sign in and decide -> permit card -> a staff member withdraws -> the
patient's page shows the withdrawal. Phone-sized pages are screenshotted and checked for horizontal
overflow, visible key elements and tap targets of at least 44 px.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from web.browsing import PHONE, fill, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Set to a folder to keep the screenshots (to look at them); by default they go to the test's tmp dir.
SHOTS_ENV = "WARDSAFE_SCREENSHOTS"


def _sign_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, base_url, username)


def test_whole_journey(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    patient = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    patient.goto(f"{base_url}/a/radiotherapy-1")
    ticks = ("Video", "To share with family and friends", "Alice Ng (RN)", "Bob Ray (radiographer)")
    fill(patient, ticks, name="Sam", contact="07700 900123")
    patient.get_by_role("button", name="Send my request").click()
    patient.wait_for_url(re.compile(r"/r/[A-Za-z0-9_-]{32}$"))
    status_url = patient.url
    assert patient.get_by_test_id("request-state").inner_text() == "Waiting for staff"
    code = patient.get_by_test_id("request-code").inner_text()

    alice = browser.new_context().new_page()
    _sign_in(alice, base_url, "alice")
    alice.locator(f'article[data-request="{code}"]').get_by_role("link", name="Agree", exact=True).click()
    alice.get_by_role("button", name="Yes, agree", exact=True).click()  # the step is confirmed on its own page
    alice.wait_for_url(f"{base_url}/staff")
    assert "is recorded: agreed" in alice.get_by_role("status").inner_text()

    bob = browser.new_context().new_page()
    _sign_in(bob, base_url, "bob")
    bob.locator(f'article[data-request="{code}"]').get_by_role("link", name="Agree if I'm not identifiable").click()
    bob.get_by_role("button", name="Yes, agree if I'm not identifiable").click()
    bob.wait_for_url(f"{base_url}/staff")

    patient.reload()
    assert patient.get_by_test_id("request-state").inner_text() == "Permitted"
    permit_code = patient.get_by_test_id("permit-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", permit_code)
    assert "In force" in patient.locator(".permit").inner_text()

    # Staff check the code read off the patient's phone.
    alice.get_by_role("link", name="Check a permit").click()
    alice.get_by_label("Verification code").fill(permit_code.lower())
    alice.get_by_role("button", name="Check").click()
    assert "In force" in alice.locator(".permit").inner_text()

    bob.goto(f"{base_url}/staff/requests/{code}")
    bob.get_by_label("Reason (shown to the patient)").fill("I no longer agree to be filmed")
    bob.get_by_role("button", name="Withdraw permit").click()
    assert "is withdrawn" in bob.get_by_role("status").inner_text()

    patient.goto(status_url)
    assert patient.get_by_test_id("request-state").inner_text() == "Withdrawn"
    assert patient.get_by_test_id("withdrawn-notice").is_visible()
    assert "I no longer agree to be filmed" in patient.locator(".permit").inner_text()
    for page in (patient, alice, bob):
        page.context.close()


def test_sign_in_with_the_keyboard_only_and_focus_is_visible(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    page.goto(f"{base_url}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")  # the brand link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type("alice-password")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/staff")
    page.context.close()


CHECK_LAYOUT = """() => {
  const small = [];
  const targets = 'button, .button, input:not([type=hidden]), select, textarea, label.choice, header nav a, ul.links a';
  for (const el of document.querySelectorAll(targets)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not displayed
    if (el.closest('label.choice') && el.tagName === 'INPUT') continue;  // the whole label is the target
    if (box.height < 44) small.push(`${el.tagName}.${el.className} ${Math.round(box.height)}px`);
  }
  // Every form control must have a label a screen reader announces.
  const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name);
  return {
    unlabelled,
    scrollWidth: document.documentElement.scrollWidth,
    // The layout viewport: on a phone Chromium zooms out to show a too-wide page, so innerWidth grows with it.
    innerWidth: document.documentElement.clientWidth,
    small,
    h1: !!document.querySelector('h1') && document.querySelector('h1').getBoundingClientRect().height > 0,
  };
}"""


def test_phone_pages_fit_and_have_big_tap_targets(browser, base_url: str, service, staff_ids, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get(SHOTS_ENV, tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    from wardsafe.store.service import NewIncident, NewRequest

    created = service.create_request(
        NewRequest(area_id="radiotherapy-1", media=["video", "photo"], purpose="social_media",
                   patient_name="Sam", contact="07700 900123", staff=["alice", "bob"])
    )  # fmt: skip
    code = created.request.code
    service.decide(staff_ids["alice"], code, "agree")
    service.decide(staff_ids["bob"], code, "agree_if_unidentifiable")
    service.log_incident(
        staff_ids["carol"],
        NewIncident(area_id="chemo-day-unit", kind="covert_recording", occurred_at=service.clock()),
    )
    waiting = service.create_request(
        NewRequest(area_id="radiotherapy-1", media=["photo"], purpose="family", patient_name="Robin",
                   contact="robin@example.org", staff=["alice"])
    ).request.code  # fmt: skip
    pages = {
        "home": (None, "/"),
        "cancel": (None, f"/r/{created.token}/cancel"),
        "published": (None, f"/r/{created.token}/used"),
        "decide": ("alice", f"/staff/requests/{waiting}/decision?decision=decline"),
        "audit": ("gov", "/admin/audit"),
        "request_form": (None, "/a/radiotherapy-1"),
        "permit": (None, f"/r/{created.token}"),
        "login": (None, "/login"),
        "inbox": ("alice", "/staff"),
        "staff_request": ("bob", f"/staff/requests/{code}"),
        "check": ("alice", "/staff/check"),
        "incident": ("carol", "/staff/incidents/new"),
        "dashboard": ("mona", "/admin/dashboard"),
        "requests": ("gov", "/admin/requests"),
        "sign": ("gov", "/admin/signs/radiotherapy-1"),
    }
    problems = []
    for name, (who, path) in pages.items():
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1)
        page = context.new_page()
        if who:
            _sign_in(page, base_url, who)
        response = page.goto(base_url + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=True)
        layout = page.evaluate(CHECK_LAYOUT)
        if layout["scrollWidth"] > layout["innerWidth"]:
            problems.append(f"{name}: {layout['scrollWidth']}px wide in a {layout['innerWidth']}px viewport")
        if layout["small"]:
            problems.append(f"{name}: tap targets under 44px: {layout['small']}")
        if layout["unlabelled"]:
            problems.append(f"{name}: controls without a label: {layout['unlabelled']}")
        if not layout["h1"]:
            problems.append(f"{name}: no visible heading")
        if name == "sign":  # printed: only the sign itself, with its QR code
            page.emulate_media(media="print")
            assert not page.locator("header.site").is_visible()
            assert page.locator(".sign .qr svg").is_visible()
            assert page.locator(".sign .qr svg").bounding_box()["width"] > 200
        context.close()
    assert not problems, "\n".join(problems)
    assert (shots / "phone-permit.png").stat().st_size > 10_000
    if os.environ.get(SHOTS_ENV) is None:
        shutil.rmtree(shots)
