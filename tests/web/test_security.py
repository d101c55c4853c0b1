"""Sessions, CSRF, rate limits, size limits, headers and the session secret, over the real app."""

from __future__ import annotations

import os
import stat

import pytest

from wardsafe.config import Settings
from wardsafe.errors import ConfigError
from wardsafe.store.service import NewRequest
from wardsafe.web.context import SIGN_IN_FAILED, WebLimits
from wardsafe.web.security import SECRET_ENV, SlidingWindowLimiter, load_secret
from wardsafe.web.serving import hide_token
from web.helpers import ask, csrf_of, sign_in


def test_session_cookie_is_secure_http_only_and_same_site(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/a/radiotherapy-1")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("wardsafe_session=")
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    headers = client.get("/").headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_patient_form_needs_the_sessions_csrf_token(client, service, staff_ids, token) -> None:  # type: ignore[no-untyped-def]
    csrf_of(client, "/a/radiotherapy-1")  # the session exists and has a token; the form omits or forges it
    data = {"patient_name": "Sam", "contact": "x", "media": ["video"], "purpose": "family", "staff": ["alice"]}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/a/radiotherapy-1", data=data)
    assert response.status_code == 403 and "This form has expired" in response.text
    assert service.admin_requests(staff_ids["gov"]) == []


def test_a_token_from_another_session_is_refused(new_client) -> None:  # type: ignore[no-untyped-def]
    attacker, victim = new_client(), new_client()
    stolen = csrf_of(attacker, "/login")
    csrf_of(victim, "/login")
    sent = victim.post("/login", data={"csrf_token": stolen, "username": "alice", "password": "alice-password"})
    assert sent.status_code == 403


def test_staff_writes_need_csrf(new_client, service, staff_ids) -> None:  # type: ignore[no-untyped-def]
    patient, alice = new_client(), new_client()
    ask(patient)
    code = service.admin_requests(staff_ids["gov"])[0].code
    sign_in(alice, "alice")
    assert alice.post(f"/staff/requests/{code}/decision", data={"decision": "agree"}).status_code == 403
    assert alice.post("/api/staff/requests/" + code + "/decision", json={"decision": "agree"}).status_code == 403
    assert alice.post("/logout").status_code == 403
    pending = service.get_request_for_staff(staff_ids["gov"], code)
    assert all(d.decision is None for d in pending.decisions)


def test_json_api_ignores_form_encoded_bodies(client) -> None:  # type: ignore[no-untyped-def]
    # A cross-site HTML form can only send form or text bodies; the API reads JSON only.
    body = '{"area_id": "outpatients-3", "media": ["audio"], "purpose": "consultation_audio",' \
           ' "patient_name": "Sam", "contact": "x"}'  # fmt: skip
    response = client.post("/api/requests", content=body, headers={"content-type": "text/plain"})
    assert response.status_code == 422


def test_login_renews_the_session_and_refuses_other_hosts_as_next(client) -> None:  # type: ignore[no-untyped-def]
    before = csrf_of(client, "/login")
    response = client.post(
        "/login",
        data={"csrf_token": before, "username": "alice", "password": "alice-password", "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff"
    assert csrf_of(client, "/staff") != before


def test_wrong_password_is_one_clear_message(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": "alice", "password": "nope-nope"})
    assert response.status_code == 401 and SIGN_IN_FAILED in response.text
    api = client.post("/api/session", json={"username": "alice", "password": "nope-nope"})
    assert api.status_code == 401 and api.json() == {"detail": SIGN_IN_FAILED}


@pytest.fixture
def limits() -> WebLimits:
    """Small allowances so a test can spend them."""
    return WebLimits(patient_requests=2, logins=3, max_body_bytes=4096)


def test_login_is_rate_limited_per_ip(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/login")
    codes = [
        client.post("/login", data={"csrf_token": token, "username": "alice", "password": "wrong-one"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    last = client.post("/login", data={"csrf_token": token, "username": "alice", "password": "alice-password"})
    assert last.status_code == 429 and "Too many attempts" in last.text
    assert int(last.headers["retry-after"]) > 0
    assert client.post("/api/session", json={"username": "alice", "password": "alice-password"}).status_code == 429


def test_patient_requests_are_rate_limited_per_ip(client) -> None:  # type: ignore[no-untyped-def]
    assert [ask(client).status_code for _ in range(3)] == [303, 303, 429]
    body = {"area_id": "outpatients-3", "media": ["audio"], "purpose": "consultation_audio", "patient_name": "S",
            "contact": "x"}  # fmt: skip
    assert client.post("/api/requests", json=body).status_code == 429


def test_oversized_requests_get_413(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/a/radiotherapy-1")
    big = {"csrf_token": token, "note": "x" * 5000}
    assert client.post("/a/radiotherapy-1", data=big).status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"y" * 1000  # no Content-Length: sent chunked

    sent = client.post("/api/requests", content=chunks(), headers={"content-type": "application/json"})
    assert sent.status_code == 413


def test_limiter_slides() -> None:
    limiter = SlidingWindowLimiter(limit=2, window_s=10)
    assert limiter.hit("a", now=0) == 0 and limiter.hit("a", now=1) == 0
    assert limiter.hit("a", now=2) == pytest.approx(8)
    assert limiter.hit("b", now=2) == 0  # each key has its own allowance
    assert limiter.hit("a", now=10.5) == 0  # the first hit has left the window


def test_secret_is_generated_once_and_kept_private(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(SECRET_ENV, raising=False)
    first = load_secret(tmp_path, Settings().secret_key)
    assert load_secret(tmp_path, Settings().secret_key) == first and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / "session-secret").st_mode) == 0o600
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(ConfigError):
        load_secret(tmp_path, Settings().secret_key)


def test_access_logs_hide_patient_tokens() -> None:
    assert hide_token("/r/abcDEF123_-xyz") == "/r/…"
    assert hide_token("/r/abc/cancel") == "/r/…/cancel"
    assert hide_token("/api/requests/abc?x=1") == "/api/requests/…?x=1"
    assert hide_token("/staff/requests/K7Q-4MP") == "/staff/requests/K7Q-4MP"


def test_a_broken_database_gives_a_plain_500_and_logs_nothing_personal(client, service, caplog) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    token = csrf_of(client, "/a/radiotherapy-1")
    # A real failure deep in the store: storing a request now fails, and the database's error message
    # carries the values it tried to store (the patient's name and number).
    with service.engine.begin() as connection:
        connection.execute(text("CREATE TABLE gone (x INTEGER)"))
        connection.execute(
            text("CREATE TRIGGER break_requests BEFORE INSERT ON requests BEGIN INSERT INTO gone VALUES (1); END")
        )
        connection.execute(text("DROP TABLE gone"))
    data = {"patient_name": "Zebedee Quill", "contact": "07700 900999", "media": ["video"], "purpose": "family",
            "staff": ["alice"]}  # fmt: skip
    with caplog.at_level("DEBUG"):
        page = client.post("/a/radiotherapy-1", data={**data, "csrf_token": token})
        api = client.post("/api/requests", json={**data, "area_id": "radiotherapy-1"})
    with pytest.raises(Exception, match="Zebedee"):  # what would have leaked: the failure names the patient
        service.create_request(NewRequest(**data, area_id="radiotherapy-1"))
    assert page.status_code == 500 and "Something went wrong on our side" in page.text
    assert "Zebedee" not in page.text and "Traceback" not in page.text
    assert api.status_code == 500 and api.json()["detail"].startswith("something went wrong")
    assert "unexpected OperationalError on POST /a/{area_id}" in caplog.text
    assert "Zebedee" not in caplog.text and "900999" not in caplog.text
