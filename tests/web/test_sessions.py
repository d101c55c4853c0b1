"""Sessions are kept on the server: the cookie is only a random id, so signing out, disabling an account
and "sign out everywhere" make a copied cookie useless at once; idle and absolute timeouts end them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from wardsafe.config import Settings
from wardsafe.store.core import ServiceRules
from web.helpers import csrf_of, sign_in


def cookie_of(client: TestClient) -> str:
    value = client.cookies.get("wardsafe_session")
    assert value, "no session cookie"
    return value


def copy_of(new_client, client: TestClient) -> TestClient:  # type: ignore[no-untyped-def]
    """Another browser holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = new_client()
    thief.cookies.set("wardsafe_session", cookie_of(client), domain="testserver.local")
    return thief


def signed_in(client: TestClient) -> bool:
    answer = client.get("/api/staff/inbox")
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def test_the_cookie_holds_only_a_random_id(client) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, "alice")
    value = cookie_of(client)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value), value  # 256 random bits; nothing to decode


def test_sign_out_ends_a_copied_cookie_too(new_client) -> None:  # type: ignore[no-untyped-def]
    alice = new_client()
    sign_in(alice, "alice")
    thief = copy_of(new_client, alice)
    assert signed_in(thief)
    token = csrf_of(alice, "/staff")
    assert alice.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert not signed_in(thief)
    assert thief.get("/staff", follow_redirects=False).headers["location"].startswith("/login")


def test_api_sign_out_ends_a_copied_cookie_too(new_client) -> None:  # type: ignore[no-untyped-def]
    alice = new_client()
    answer = alice.post("/api/session", json={"username": "alice", "password": "alice-password"})
    thief = copy_of(new_client, alice)
    assert signed_in(thief)
    assert alice.delete("/api/session", headers={"X-CSRF-Token": answer.json()["csrf_token"]}).status_code == 204
    assert not signed_in(thief) and not signed_in(alice)


def test_disabling_an_account_ends_its_sessions_at_once(new_client, service) -> None:  # type: ignore[no-untyped-def]
    alice = new_client()
    sign_in(alice, "alice")
    thief = copy_of(new_client, alice)
    service.set_staff_active("alice", False)
    assert not signed_in(thief) and not signed_in(alice)
    service.set_staff_active("alice", True)
    assert not signed_in(thief)  # enabling again does not bring old sessions back


def test_sign_out_everywhere(new_client, service) -> None:  # type: ignore[no-untyped-def]
    tablet, desktop, bob = new_client(), new_client(), new_client()
    sign_in(tablet, "alice")
    sign_in(bob, "bob")
    answer = desktop.post("/api/session", json={"username": "alice", "password": "alice-password"})
    assert signed_in(tablet) and signed_in(desktop)
    assert desktop.delete("/api/sessions", headers={"X-CSRF-Token": answer.json()["csrf_token"]}).status_code == 204
    assert not signed_in(tablet) and not signed_in(desktop)
    assert signed_in(bob)  # other people's sessions are untouched
    event = service.audit_entries(None)[0]
    assert (event.action, event.actor, event.subject) == ("staff.signed_out_everywhere", "staff:alice", "staff:alice")


def test_the_command_line_signs_an_account_out_everywhere(new_client, seeded_url) -> None:  # type: ignore[no-untyped-def]
    alice = new_client()
    sign_in(alice, "alice")
    env = {**os.environ, "WARDSAFE_DATABASE_URL": seeded_url[0]}
    run = subprocess.run([sys.executable, "-m", "wardsafe", "staff", "sign-out", "alice"], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "signed alice out of 1 session"
    assert not signed_in(alice)


def test_idle_sessions_end(client, clock) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, "alice")
    clock.advance(minutes=29)
    assert signed_in(client)  # a request restarts the idle time
    clock.advance(minutes=29)
    assert signed_in(client)
    clock.advance(minutes=31)
    assert not signed_in(client)


def test_sessions_end_after_the_longest_shift_however_busy(client, clock) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, "alice")
    for _ in range(35):  # a request every 20 minutes for 11 h 40
        clock.advance(minutes=20)
        assert signed_in(client)
    clock.advance(minutes=21)  # 12 h 01 since sign-in, though only 21 minutes idle
    assert not signed_in(client)


def test_timeouts_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDSAFE_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("WARDSAFE_SESSION_MAX_HOURS", "8")
    rules = ServiceRules.from_settings(Settings())
    assert (rules.session_idle.total_seconds(), rules.session_max.total_seconds()) == (300, 8 * 3600)


def test_data_set_after_clearing_gets_a_new_id_to_be_kept_under() -> None:
    from wardsafe.web.security import ServerSession

    session = ServerSession({"staff_id": 1}, "x" * 43, b"secret")
    session.clear()
    assert session.current_id is None  # signing in or out never keeps the old id
    session["staff_id"] = 2
    assert session.current_id not in (None, "x" * 43) and session.modified


def test_sign_out_on_every_device_from_the_inbox(new_client) -> None:  # type: ignore[no-untyped-def]
    tablet, desktop = new_client(), new_client()
    sign_in(tablet, "alice")
    sign_in(desktop, "alice")
    page = desktop.get("/staff").text
    assert "Sign out on every device" in page
    token = csrf_of(desktop, "/staff")
    answer = desktop.post("/logout/everywhere", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert not signed_in(tablet) and not signed_in(desktop)
