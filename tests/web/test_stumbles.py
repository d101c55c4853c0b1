"""Where patients and staff stumbled (issue 12, items 8-12 and 14), tried again in real Chromium against
the real server: each test does what a new user would and checks what they would see."""

from __future__ import annotations

import re
from typing import Any

import pytest

from wardsafe.store.service import NewRequest
from web.browsing import fill, phone, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _request(service: Any, purpose: str = "family", staff: tuple[str, ...] = ("alice", "bob"), **fields: Any) -> Any:
    """A request stored through the service, as the form would (its token and view)."""
    values: dict[str, Any] = {"patient_name": "Sam", "contact": "07700 900123", "media": ["video"]}
    values.update(fields)
    return service.create_request(
        NewRequest(area_id=values.pop("area_id", "radiotherapy-1"), purpose=purpose, staff=list(staff), **values)
    )


def test_8_the_named_staff_see_how_to_reach_the_patient(browser, base_url: str, service) -> None:  # type: ignore[no-untyped-def]
    code = _request(service, contact="sam.patel@example.org").request.code
    alice = staff_page(browser, base_url, "alice")
    contact = alice.locator(f'article[data-request="{code}"]').get_by_test_id("patient-contact")
    assert contact.inner_text() == "sam.patel@example.org"
    assert contact.get_by_role("link").get_attribute("href") == "mailto:sam.patel@example.org"
    alice.goto(f"{base_url}/staff/requests/{code}")
    assert alice.get_by_test_id("patient-contact").get_by_role("link").get_attribute("href").startswith("mailto:")

    phoned = _request(service, contact="07700 900123", staff=("bob",)).request.code
    bob = staff_page(browser, base_url, "bob")
    link = bob.locator(f'article[data-request="{phoned}"]').get_by_test_id("patient-contact").get_by_role("link")
    assert link.get_attribute("href") == "tel:07700900123"

    # Governance may open any request, but the contact is for the staff named on it.
    gov = staff_page(browser, base_url, "gov")
    gov.goto(f"{base_url}/staff/requests/{code}")
    assert gov.get_by_role("heading", name=f"Request {code}").is_visible()
    assert "sam.patel@example.org" not in gov.content()


def test_9_publishing_is_offered_only_where_allowed_and_every_step_is_confirmed(  # type: ignore[no-untyped-def]
    browser, base_url: str, service, staff_ids
) -> None:
    private = _request(service, purpose="family")
    public = _request(service, purpose="social_media")
    for created in (private, public):
        service.decide(staff_ids["alice"], created.request.code, "agree")
        service.decide(staff_ids["bob"], created.request.code, "agree")
    patient = phone(browser)

    # For family only: the permit forbids posting, so there is nothing to say about publishing.
    patient.goto(f"{base_url}/r/{private.token}")
    assert patient.get_by_test_id("request-state").inner_text() == "Permitted"
    assert patient.get_by_text("I have published my recording").count() == 0
    refused = patient.goto(f"{base_url}/r/{private.token}/used")
    assert refused is not None and refused.status == 403
    assert "does not allow publishing" in patient.get_by_role("alert").inner_text()

    # For social media: offered, explained, and nothing happens until confirmed.
    patient.goto(f"{base_url}/r/{public.token}")
    patient.get_by_role("link", name="I have published my recording").click()
    assert "can no longer withdraw" in patient.locator("main").inner_text()
    patient.get_by_role("link", name="No, go back").click()
    assert patient.get_by_test_id("request-state").inner_text() == "Permitted"
    patient.get_by_role("link", name="I have published my recording").click()
    patient.get_by_role("button", name="Yes, I have published it").click()
    assert patient.get_by_test_id("request-state").inner_text() == "Used for publishing"

    # Cancelling asks first.
    patient.goto(f"{base_url}/r/{private.token}")
    patient.get_by_role("link", name="Cancel my permit").click()
    assert patient.get_by_role("heading", name="Cancel your permit?").is_visible()
    assert service.get_request_by_token(private.token).state.value == "permitted"
    patient.get_by_role("button", name="Yes, cancel your permit").click()
    assert patient.get_by_test_id("request-state").inner_text() == "Cancelled"

    # A staff decision asks first, and says what it means.
    code = _request(service).request.code
    alice = staff_page(browser, base_url, "alice")
    alice.locator(f'article[data-request="{code}"]').get_by_role("link", name="Decline").click()
    assert alice.get_by_role("heading", name="Decline this request?").is_visible()
    assert "must not record you" in alice.locator("main").inner_text()
    assert service.get_request_by_token(private.token).state.value == "cancelled"
    assert service.get_request_for_staff(staff_ids["alice"], code).decisions[0].decision is None
    alice.get_by_role("link", name="No, go back").click()
    alice.wait_for_url(f"{base_url}/staff")


def test_11_area_pages_lead_with_the_answer(browser, base_url: str, service) -> None:  # type: ignore[no-untyped-def]
    patient = phone(browser)
    patient.goto(f"{base_url}/a/main-waiting")
    assert patient.locator("h1").inner_text() == "Recording is not allowed here"
    assert patient.locator("form").count() == 0

    # Everything here needs staff to agree, and nobody is registered: say who to ask, offer no form.
    patient.goto(f"{base_url}/a/maternity-ward")
    assert patient.locator("h1").inner_text() == "Ask a member of staff first"
    assert "ask the nurse or midwife in charge" in patient.get_by_test_id("area-answer").inner_text()
    assert patient.get_by_role("button", name="Send my request").count() == 0

    # Allowed outright: no staff to tick even where staff work, and the permit never awaits anyone.
    service.add_staff("dan", "Dan Obi (consultant)", "dan-password", areas=["outpatients-3"])
    patient.goto(f"{base_url}/a/outpatients-3")
    assert "you get your permit as soon as you send the form" in patient.get_by_test_id("area-answer").inner_text()
    assert patient.get_by_label("Dan Obi (consultant)").count() == 0
    ticks = ("Sound recording", "To remember what was said in my consultation")
    fill(patient, ticks, name="Sam", contact="07700 900123")
    patient.get_by_role("button", name="Send my request").click()
    patient.wait_for_url(re.compile(r"/r/[A-Za-z0-9_-]{32}$"))
    assert patient.get_by_test_id("request-state").inner_text() == "Permitted"
    assert "awaiting" not in patient.locator("main").inner_text().lower()
    assert patient.get_by_test_id("no-decision-needed").is_visible()


def test_12_declines_read_plainly_and_the_audit_page_is_in_words(browser, base_url: str, service) -> None:  # type: ignore[no-untyped-def]
    created = _request(service)
    code = created.request.code
    bob = staff_page(browser, base_url, "bob")
    bob.locator(f'article[data-request="{code}"]').get_by_role("link", name="Decline").click()
    bob.get_by_label("Reason (optional, shown to the patient)").fill("I am not comfortable being filmed")
    bob.get_by_role("button", name="Yes, decline").click()
    bob.wait_for_url(f"{base_url}/staff")

    patient = phone(browser)
    patient.goto(f"{base_url}/r/{created.token}")
    assert patient.get_by_test_id("request-state").inner_text() == "Waiting for staff"  # Alice has not answered

    alice = staff_page(browser, base_url, "alice")
    alice.locator(f'article[data-request="{code}"]').get_by_role("link", name="Agree", exact=True).click()
    alice.get_by_role("button", name="Yes, agree").click()
    alice.wait_for_url(f"{base_url}/staff")
    patient.reload()
    notice = patient.get_by_test_id("declined-notice").inner_text()
    assert ("Bob Ray (radiographer) declined: do not record Bob Ray (radiographer); "
            "the permit covers Alice Ng (RN) only.") in notice  # fmt: skip
    assert "I am not comfortable being filmed" in notice
    card = patient.locator("section.permit")
    assert card.get_by_test_id("covered-staff").inner_text() == "Alice Ng (RN)"
    assert "not to be recorded: Bob Ray (radiographer)." in card.get_by_test_id("declined-staff").inner_text()

    gov = staff_page(browser, base_url, "gov")
    gov.goto(f"{base_url}/admin/audit")
    table = gov.locator("table").inner_text()
    assert f"Bob Ray (radiographer) declined request {code}." in table
    assert f"Alice Ng (RN) agreed to request {code}." in table
    assert "The patient asked to record (video; to share with family and friends) in Radiotherapy suite 1" in table
    assert not re.search(r"\b(request\.created|decision\.recorded|staff:bob)\b", table)


def test_10_signs_say_no_recording_where_nothing_is_allowed_and_warn_of_loopback_links(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    gov = staff_page(browser, base_url, "gov")
    gov.goto(f"{base_url}/admin/signs/main-waiting")
    sign = gov.get_by_test_id("sign")
    assert sign.locator("h1").inner_text() == "No recording here"
    assert sign.locator("svg").count() == 0 and "scan" not in sign.inner_text().lower()

    # This server is on 127.0.0.1: a phone scanning the code would reach itself. Said on screen, not printed.
    gov.goto(f"{base_url}/admin/signs/radiotherapy-1")
    warning = gov.get_by_test_id("unreachable-warning")
    assert warning.is_visible() and "127.0.0.1" in warning.inner_text()
    assert "WARDSAFE_PUBLIC_URL" in warning.inner_text()
    gov.emulate_media(media="print")
    assert not warning.is_visible() and gov.locator(".sign .qr svg").is_visible()
    gov.emulate_media(media="screen")
    gov.goto(f"{base_url}/admin/signs")
    assert gov.get_by_test_id("unreachable-warning").is_visible()


def _beside(page: Any, field_id: str) -> str:
    """The message shown for a field: it sits between the field's label and the control, and the control
    points at it (aria-describedby) so a screen reader reads it with the field."""
    message = page.locator(f"#{field_id}-error")
    control = page.locator(f"#{field_id}")
    assert control.get_attribute("aria-describedby") == f"{field_id}-error"
    assert control.get_attribute("aria-invalid") == "true"
    assert message.bounding_box()["y"] < control.bounding_box()["y"]
    return str(message.inner_text())


def test_14_forms_that_fail_come_back_with_what_was_typed_and_a_message_beside_the_field(  # type: ignore[no-untyped-def]
    browser, base_url: str, service, staff_ids
) -> None:
    patient = phone(browser)
    patient.goto(f"{base_url}/a/radiotherapy-1")
    ticks = ("Video", "To share with family and friends", "Alice Ng (RN)")
    fill(patient, ticks, contact="07700 900123", note="Please call after 5pm")  # no name
    patient.get_by_role("button", name="Send my request").click()
    assert patient.locator("h1").inner_text() == "Ask to record your care"
    assert "Give a name staff can call you by." in _beside(patient, "patient_name")
    assert patient.get_by_label("How staff can reach you").input_value() == "07700 900123"
    assert patient.get_by_label("Anything staff should know (optional)").input_value() == "Please call after 5pm"
    assert patient.get_by_label("Video").is_checked() and patient.get_by_label("Alice Ng (RN)").is_checked()
    assert patient.get_by_role("link", name="Give a name staff can call you by.").is_visible()  # the summary

    carol = staff_page(browser, base_url, "carol")
    carol.goto(f"{base_url}/staff/incidents/new")
    carol.get_by_label("Where").select_option("chemo-day-unit")
    fill(carol, ("Covert recording",), When="2099-01-01T10:00", **{"Details (optional)": "Filmed from the corridor"})
    carol.get_by_role("button", name="Log incident").click()
    assert carol.locator("h1").inner_text() == "Log an incident"
    assert "in the future" in _beside(carol, "occurred_at")
    assert carol.get_by_label("Details (optional)").input_value() == "Filmed from the corridor"
    assert carol.get_by_label("Where").input_value() == "chemo-day-unit"

    created = _request(service, staff=("bob",))
    service.decide(staff_ids["bob"], created.request.code, "agree")
    bob = staff_page(browser, base_url, "bob")
    bob.goto(f"{base_url}/staff/requests/{created.request.code}")
    bob.get_by_label("Reason (shown to the patient)").fill("   ")
    bob.get_by_role("button", name="Withdraw permit").click()
    assert bob.locator("h1").inner_text() == f"Request {created.request.code}"
    assert "Give a reason" in _beside(bob, "reason")
    assert service.get_request_by_token(created.token).state.value == "permitted"

    stranger = phone(browser)
    stranger.goto(f"{base_url}/login")
    stranger.get_by_label("Username").fill("a" * 300)
    stranger.get_by_label("Password").fill("whatever-it-is")
    stranger.get_by_role("button", name="Sign in").click()
    assert stranger.locator("h1").inner_text() == "Staff sign in"
    assert "Unprocessable" not in stranger.locator("main").inner_text()
