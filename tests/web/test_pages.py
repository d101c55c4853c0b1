"""The patient, staff and governance pages over the real app and a real SQLite database."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlsplit

from web.helpers import ask, csrf_of, sign_in


def _status_path(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    path = urlsplit(response.headers["location"]).path
    assert re.fullmatch(r"/r/[A-Za-z0-9_-]{32}", path), path
    return path


def test_health_and_openapi(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert "/api/requests" in spec["paths"]
    assert all(path.startswith("/api/") or path == "/healthz" for path in spec["paths"])


def test_form_shows_the_areas_rules_and_staff(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/a/chemo-day-unit")
    assert page.status_code == 200
    assert "Chemotherapy day unit" in page.text
    assert "Sound recording:</strong> never allowed here" in page.text
    assert 'value="audio"' not in page.text  # a medium never allowed is not offered
    assert "Alice Ng (RN)" in page.text and "Carol Diaz (HCA)" in page.text
    assert "Bob Ray" not in page.text  # not working in this area
    assert page.headers["cache-control"] == "no-store"


def test_unknown_area_is_a_404_page(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/a/no-such-area")
    assert page.status_code == 404
    assert "<h1>Not Found</h1>" in page.text


def test_never_allowed_request_is_answered_on_the_form_and_not_stored(client, service, staff_ids) -> None:  # type: ignore[no-untyped-def]
    response = ask(client, area="chemo-day-unit", staff=("alice",), media=["audio"])
    assert response.status_code == 422
    assert "does not allow this request" in response.text
    assert service.admin_requests(staff_ids["gov"]) == []


def test_missing_fields_keep_what_was_typed(client) -> None:  # type: ignore[no-untyped-def]
    response = ask(client, staff=(), patient_name="Robin")
    assert response.status_code == 422
    assert 'id="staff-error"' in response.text and "Tick every member of staff" in response.text
    assert 'value="Robin"' in response.text
    response = ask(client, media=[])
    assert response.status_code == 422 and "Choose what you want to record" in response.text
    # Longer than the form allows (pasted past the browser's limit): the form comes back, never a bare 422 page.
    response = ask(client, patient_name="Robin", note="x" * 600)
    assert response.status_code == 422 and 'id="note-error"' in response.text and 'value="Robin"' in response.text
    assert "Keep this under 500 characters" in response.text


def test_whole_journey(new_client, service, staff_ids, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    patient, alice, bob = new_client(), new_client(), new_client()
    status = _status_path(ask(patient))
    page = patient.get(status)
    assert "Waiting for staff" in page.text
    code = re.search(r'data-testid="request-code">([A-Z0-9-]+)<', page.text).group(1)

    sign_in(alice, "alice")
    inbox = alice.get("/staff")
    assert code in inbox.text and "Sam" in inbox.text
    token = csrf_of(alice, "/staff")
    done = alice.post(f"/staff/requests/{code}/decision", data={"csrf_token": token, "decision": "agree"})
    assert done.status_code == 200 and "is recorded: agreed" in done.text
    assert f'data-request="{code}"' not in alice.get("/staff").text.split("Requests you were involved in")[0]

    sign_in(bob, "bob")
    token = csrf_of(bob, "/staff")
    bob.post(f"/staff/requests/{code}/decision", data={"csrf_token": token, "decision": "agree_if_unidentifiable"})

    page = patient.get(status)
    assert 'data-testid="request-state">Permitted<' in page.text
    permit_code = re.search(r'data-testid="permit-code">([A-Z0-9-]+)<', page.text).group(1)
    assert "must not be identifiable (face and name badge hidden): Bob Ray (radiographer)" in page.text
    assert "Mon 15 Jun 2026, 10:00 BST" in page.text  # 09:00 UTC shown in the trust's zone

    check = alice.get("/staff/check", params={"code": permit_code.lower().replace("-", " ")})
    assert check.status_code == 200 and "In force" in check.text

    token = csrf_of(bob, f"/staff/requests/{code}")
    withdrawn = bob.post(f"/staff/requests/{code}/withdraw", data={"csrf_token": token, "reason": "Changed my mind"})
    assert withdrawn.status_code == 200 and "is withdrawn" in withdrawn.text

    page = patient.get(status)
    assert 'data-testid="request-state">Withdrawn<' in page.text
    assert "Your permit was withdrawn by staff" in page.text and "Changed my mind" in page.text
    assert "not valid" in alice.get("/staff/check", params={"code": permit_code}).text


def test_patient_cancels(client) -> None:  # type: ignore[no-untyped-def]
    status = _status_path(ask(client))
    token = csrf_of(client, status + "/cancel")  # the page that asks to confirm
    page = client.post(status + "/cancel", data={"csrf_token": token})
    assert page.status_code == 200 and 'data-testid="request-state">Cancelled<' in page.text
    again = client.post(status + "/cancel", data={"csrf_token": token})
    assert again.status_code == 409  # a final state: the page says why, nothing changes


def test_incident_dashboard_and_chart(new_client, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    carol, mona = new_client(), new_client()
    sign_in(carol, "carol")
    token = csrf_of(carol, "/staff/incidents/new")
    for when, area in [("2026-05-02T10:00", "chemo-day-unit"), ("2026-06-01T00:30", "chemo-day-unit"),
                       ("2026-06-03T14:00", "radiotherapy-1")]:  # fmt: skip
        logged = carol.post(
            "/staff/incidents/new",
            data={"csrf_token": token, "area_id": area, "kind": "covert_recording", "occurred_at": when},
        )
        assert logged.status_code == 200 and "incident is logged" in logged.text
    bad = carol.post("/staff/incidents/new", data={"csrf_token": token, "area_id": "x", "kind": "?", "occurred_at": ""})
    assert bad.status_code == 422 and "Choose the area" in bad.text

    sign_in(mona, "mona")
    page = mona.get("/admin/dashboard")
    assert page.status_code == 200
    section = page.text.split('data-testid="incidents-by-month"', 1)[1]
    svg = re.search(r"<svg.*?</svg>", section, re.S).group(0)
    tree = ET.fromstring(svg)
    bars = [el for el in tree.iter("{http://www.w3.org/2000/svg}rect") if el.find("{*}title") is not None]
    titles = sorted(bar.find("{*}title").text for bar in bars)
    # 00:30 BST on 1 June is 23:30 UTC on 31 May: it counts in June, the trust's month.
    assert titles == [
        "Chemotherapy day unit, bay A, 2026-05: 1",
        "Chemotherapy day unit, bay A, 2026-06: 1",
        "Radiotherapy suite 1 (LINAC 1), 2026-06: 1",
    ]
    assert "Covert recording" in mona.get("/admin/incidents").text


def test_printable_sign_has_a_qr_code_of_the_form(new_client, app) -> None:  # type: ignore[no-untyped-def]
    gov = new_client()
    sign_in(gov, "gov")
    page = gov.get("/admin/signs/radiotherapy-1")
    assert page.status_code == 200
    assert "<title>QR code for https://testserver/a/radiotherapy-1</title>" in page.text
    app.state.web.public_url = "https://wardsafe.example.nhs.uk"
    page = gov.get("/admin/signs/radiotherapy-1")
    assert "<title>QR code for https://wardsafe.example.nhs.uk/a/radiotherapy-1</title>" in page.text
    assert "unreachable-warning" not in page.text  # phones reach this address: nothing to warn of
    assert "@media print" in gov.get("/static/style.css").text


def test_governance_sees_requests_audit_and_export(new_client) -> None:  # type: ignore[no-untyped-def]
    patient, gov = new_client(), new_client()
    ask(patient)
    sign_in(gov, "gov")
    listing = gov.get("/admin/requests")
    assert listing.status_code == 200 and "Waiting for staff" in listing.text
    assert 'data-testid="audit-ok"' in gov.get("/admin/audit").text
    export = gov.get("/admin/export.fhir.json")
    assert export.status_code == 200 and export.json()["resourceType"] == "Bundle"


def test_sign_out(client) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, "alice")
    token = csrf_of(client, "/staff")
    client.post("/logout", data={"csrf_token": token})
    response = client.get("/staff", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_area_without_staff_says_nobody_can_agree(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/a/maternity-ward")
    assert "no staff are registered for this area yet" in page.text and "Send my request" not in page.text
    assert "no staff are registered" not in client.get("/a/outpatients-3").text  # allowed without decisions


def test_area_where_nothing_is_allowed_offers_no_form(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/a/main-waiting")
    assert "Recording is not allowed in this area." in page.text and "Send my request" not in page.text


def test_allowed_request_gets_its_permit_at_once(client) -> None:  # type: ignore[no-untyped-def]
    response = ask(client, area="outpatients-3", staff=(), media=["audio"], purpose="consultation_audio")
    page = client.get(_status_path(response))
    assert 'data-testid="request-state">Permitted<' in page.text
    assert "Tell everyone present before you start recording." in page.text


def test_status_page_carries_its_own_link_as_a_qr_code(client) -> None:  # type: ignore[no-untyped-def]
    path = _status_path(ask(client))
    assert f"<title>QR code for https://testserver{path}</title>" in client.get(path).text


def test_4_the_patient_form_names_staff_by_opaque_ids_not_usernames(client, service, staff_ids) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/a/radiotherapy-1").text
    refs = dict(re.findall(r'name="staff" value="([^"]+)"[^>]*> ([^<]+)</label>', page))
    assert sorted(refs.values()) == ["Alice Ng (RN)", "Bob Ray (radiographer)", "Mona Haddad (ward manager)"]
    for username in ("alice", "bob", "mona"):
        assert f'"{username}"' not in page and f">{username}<" not in page
    assert all(len(ref) >= 16 and not ref.isdigit() for ref in refs)  # random, not a guessable number
    chosen = tuple(ref for ref, name in refs.items() if not name.startswith("Mona"))
    status = _status_path(ask(client, staff=chosen))
    view = service.get_request_by_token(status.removeprefix("/r/"))
    assert sorted(d.staff_username for d in view.decisions) == ["alice", "bob"]


def test_16_the_staff_inbox_pages_a_flood_of_requests(client, service, staff_ids) -> None:  # type: ignore[no-untyped-def]
    from wardsafe.store.service import NewRequest

    codes = []
    for number in range(45):
        new = NewRequest(area_id="radiotherapy-1", media=["photo"], purpose="family", patient_name=f"Patient {number}",
                         contact="07700 900123", staff=["alice"])  # fmt: skip
        codes.append(service.create_request(new).request.code)
    for code in codes[:3]:  # three she has answered: they move to the second list
        service.decide(staff_ids["alice"], code, "agree")
    sign_in(client, "alice")

    def shown(page: str) -> list[str]:
        awaiting = page.split("Requests you were involved in")[0]
        return re.findall(r'<article class="card" data-request="([A-Z0-9-]+)"', awaiting)

    first = client.get("/staff")
    assert shown(first.text) == codes[3:23]  # oldest first, 20 a page
    assert "Showing 1–20 of 42 · page 1 of 3" in first.text
    assert (
        'href="?page=2&amp;involved_page=1">Next page' in first.text
        and "Previous page" not in first.text.split("Requests you were involved in")[0]
    )
    last = client.get("/staff", params={"page": "3"})
    assert shown(last.text) == codes[23 + 20 :] and "Showing 41–42 of 42" in last.text
    assert shown(client.get("/staff", params={"page": "99"}).text) == codes[43:]  # past the end: the last page
    assert shown(client.get("/staff", params={"page": "x"}).text) == codes[3:23]  # a mistyped address: page 1
    involved = last.text.split("Requests you were involved in")[1]
    assert sorted(re.findall(r'data-request="([A-Z0-9-]+)"', involved)) == sorted(codes[:3])


def test_9_a_permit_that_forbids_publishing_cannot_be_marked_published(client, service, staff_ids) -> None:  # type: ignore[no-untyped-def]
    status = _status_path(ask(client, staff=("alice",), purpose="family"))
    code = service.get_request_by_token(status.removeprefix("/r/")).code
    service.decide(staff_ids["alice"], code, "agree")
    token = csrf_of(client, status + "/cancel")
    sent = client.post(status + "/used", data={"csrf_token": token})  # as a forged or stale form would
    assert sent.status_code == 403 and "does not allow publishing" in sent.text
    # Staff may still withdraw it.
    assert service.get_request_by_token(status.removeprefix("/r/")).state.value == "permitted"


def test_14_the_services_own_checks_are_answered_beside_their_field(client) -> None:  # type: ignore[no-untyped-def]
    response = ask(client, patient_name="Robin", contact="call me maybe")
    assert response.status_code == 422 and 'value="call me maybe"' in response.text
    assert re.search(r'id="contact-error">.*UK phone number', response.text)
    response = ask(client, patient_name="Robin\u202eevil", contact="07700 900123")
    assert response.status_code == 422 and re.search(r'id="patient_name-error">.*text-direction', response.text)
    assert 'id="staff-error"' not in response.text
