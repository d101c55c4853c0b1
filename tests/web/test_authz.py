"""The authorization matrix: a patient link sees only its own request; a staff member decides only for
themself and only in their areas; only governance staff see governance pages."""

from __future__ import annotations

import pytest

from web.helpers import ask, csrf_of, sign_in

GOVERNANCE_PAGES = [
    "/admin/requests",
    "/admin/audit",
    "/admin/export.fhir.json",
    "/admin/signs",
    "/admin/signs/radiotherapy-1",
]
MANAGER_PAGES = ["/admin/dashboard", "/admin/incidents"]


def _token_path(response) -> str:  # type: ignore[no-untyped-def]
    location = response.headers["location"]
    assert location.startswith("/r/"), location  # a path on this site, never a host from the request
    return location


def test_a_patient_link_sees_only_its_own_request(new_client, service, staff_ids) -> None:  # type: ignore[no-untyped-def]
    first, second = new_client(), new_client()
    path_a = _token_path(ask(first, patient_name="Avery"))
    path_b = _token_path(ask(second, patient_name="Blake"))
    page_a, page_b = first.get(path_a).text, second.get(path_b).text
    assert "Avery" not in page_b and "Blake" not in page_a
    # Either link works from any device (it is the key), but only for its own request.
    assert "Blake" in first.get(path_b).text
    assert first.get(path_a[:-1] + ("x" if path_a[-1] != "x" else "y")).status_code == 404
    code = service.admin_requests(staff_ids["gov"])[0].code
    assert first.get(f"/r/{code}").status_code == 404  # the short code is not a key
    api = first.get("/api/requests/" + path_b.rsplit("/", 1)[1]).json()
    assert api["patient_name"] == "Blake"


@pytest.mark.parametrize("path", GOVERNANCE_PAGES + MANAGER_PAGES + ["/staff", "/staff/check"])
def test_without_signing_in_staff_pages_send_to_login(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/api/staff/inbox", "/api/admin/requests", "/api/permits/AAAA-AAAA"])
def test_without_signing_in_the_staff_api_answers_401(client, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 401


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("alice", False), ("carol", False), ("mona", False), ("gov", True)],
)
@pytest.mark.parametrize("path", GOVERNANCE_PAGES + ["/api/admin/requests"])
def test_only_governance_staff_see_governance_pages(new_client, username: str, allowed: bool, path: str) -> None:  # type: ignore[no-untyped-def]
    person = new_client()
    sign_in(person, username)
    assert person.get(path).status_code == (200 if allowed else 403)


@pytest.mark.parametrize(("username", "allowed"), [("alice", False), ("mona", True), ("gov", True)])
@pytest.mark.parametrize("path", MANAGER_PAGES)
def test_only_managers_see_incident_counts(new_client, username: str, allowed: bool, path: str) -> None:  # type: ignore[no-untyped-def]
    person = new_client()
    sign_in(person, username)
    assert person.get(path).status_code == (200 if allowed else 403)


def _pending_code(new_client) -> str:  # type: ignore[no-untyped-def]
    patient = new_client()
    page = patient.get(_token_path(ask(patient, staff=("alice", "bob"))))
    return page.text.split('data-testid="request-code">', 1)[1].split("<", 1)[0]


def _decide(person, code: str, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_of(person, "/staff")
    return person.post(f"/staff/requests/{code}/decision", data={"csrf_token": token, "decision": "agree", **extra})


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("carol", 403),  # works elsewhere (chemo day unit only)
        ("mona", 403),  # works in the area but is not one of the staff involved
        ("gov", 403),  # governance sees everything but decides for nobody
        ("alice", 200),
    ],
)
def test_staff_decide_only_in_their_areas_and_when_involved(new_client, username: str, status: int) -> None:  # type: ignore[no-untyped-def]
    code = _pending_code(new_client)
    person = new_client()
    sign_in(person, username)
    assert _decide(person, code).status_code == status


def test_nobody_decides_for_a_colleague(new_client, service, staff_ids) -> None:  # type: ignore[no-untyped-def]
    code = _pending_code(new_client)
    alice = new_client()
    sign_in(alice, "alice")
    # Extra fields naming someone else are ignored: the decision is always the signed-in person's.
    assert _decide(alice, code, staff="bob", username="bob", staff_id=str(staff_ids["bob"])).status_code == 200
    decisions = {d.staff_username: d.decision for d in service.get_request_for_staff(staff_ids["gov"], code).decisions}
    assert decisions["alice"] is not None and decisions["bob"] is None


def test_only_involved_staff_see_or_withdraw_a_permit(new_client) -> None:  # type: ignore[no-untyped-def]
    code = _pending_code(new_client)
    for name in ("alice", "bob"):
        person = new_client()
        sign_in(person, name)
        assert _decide(person, code).status_code == 200
    mona = new_client()
    sign_in(mona, "mona")
    assert mona.get(f"/staff/requests/{code}").status_code == 404
    token = csrf_of(mona, "/staff")
    refused = mona.post(f"/staff/requests/{code}/withdraw", data={"csrf_token": token, "reason": "no"})
    assert refused.status_code == 403
    gov = new_client()
    sign_in(gov, "gov")
    assert gov.get(f"/staff/requests/{code}").status_code == 200  # governance may look, not act


def test_api_decision_is_the_signed_in_staff_members_own(new_client) -> None:  # type: ignore[no-untyped-def]
    code = _pending_code(new_client)
    carol = new_client()
    session = carol.post("/api/session", json={"username": "carol", "password": "carol-password"}).json()
    headers = {"X-CSRF-Token": session["csrf_token"]}
    answer = carol.post(f"/api/staff/requests/{code}/decision", json={"decision": "agree"}, headers=headers)
    assert answer.status_code == 403
