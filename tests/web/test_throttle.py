"""Throttling by account as well as by address: failed sign-ins slow and then lock an account whatever
address they come from (unlocked by an admin, audited, or after a while); good sign-ins never count,
so a ward behind one address is not locked out at shift change; X-Forwarded-For is believed only from
configured proxies."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from wardsafe.web.context import SIGN_IN_FAILED, WebLimits
from web.browsing import staff_page
from web.helpers import csrf_of
from web.live import running_server


@pytest.fixture
def limits() -> WebLimits:
    """Three failed sign-ins per address."""
    return WebLimits(logins=3)


def sign_in_page(client, username: str, password: str) -> int:  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/login")
    data = {"csrf_token": token, "username": username, "password": password}
    return client.post("/login", data=data, follow_redirects=False).status_code


def test_good_sign_ins_from_one_address_never_count(new_client) -> None:  # type: ignore[no-untyped-def]
    # A whole shift signs in on the ward's machines behind one address: 3 x the allowance, all good.
    people = ["alice", "bob", "carol", "mona"] * 3
    codes = [sign_in_page(new_client(), name, f"{name}-password") for name in people]
    assert codes == [303] * len(people)


def test_failed_sign_ins_from_one_address_are_limited(client) -> None:  # type: ignore[no-untyped-def]
    codes = [sign_in_page(client, "nobody", "wrong-password") for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def lock_out(service, clock, username: str) -> None:  # type: ignore[no-untyped-def]
    """Ten failed sign-ins, each after the slow-down has passed."""
    for _ in range(10):
        assert service.authenticate(username, "wrong-password") is None
        clock.advance(seconds=61)


def test_failures_slow_then_lock_the_account_whatever_the_address(service, clock, staff_ids) -> None:  # type: ignore[no-untyped-def]
    # The service counts per account: no address is involved at all.
    for _ in range(3):
        assert service.authenticate("alice", "wrong-password") is None
    assert service.authenticate("alice", "alice-password") is None  # must wait a moment after 3 failures
    clock.advance(seconds=2)
    assert service.authenticate("alice", "alice-password") is not None  # and a good one clears the count
    lock_out(service, clock, "alice")  # waiting out each slow-down does not avoid the lock
    assert service.authenticate("alice", "alice-password") is None  # locked
    locked = service.audit_entries(None)[0]
    assert (locked.action, locked.subject, locked.actor) == ("staff.locked", "staff:alice", "system")
    clock.advance(minutes=13)  # 14 minutes after the lock
    assert service.authenticate("alice", "alice-password") is None
    clock.advance(minutes=1)
    assert service.authenticate("alice", "alice-password") is not None  # unlocked after 15 minutes
    expired = service.audit_entries(None)[0]  # and the trail says when the lock ran out
    assert (expired.action, expired.subject, expired.actor) == ("staff.lock_expired", "staff:alice", "system")
    assert service.authenticate("bob", "bob-password") is not None  # nobody else was affected


def test_an_admin_unlocks_an_account_and_it_is_audited(service, clock, seeded_url) -> None:  # type: ignore[no-untyped-def]
    lock_out(service, clock, "bob")
    assert service.authenticate("bob", "bob-password") is None
    env = {**os.environ, "WARDSAFE_DATABASE_URL": seeded_url[0]}
    run = subprocess.run([sys.executable, "-m", "wardsafe", "staff", "unlock", "bob"], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0 and run.stdout.strip() == "unlocked bob", run.stderr
    assert service.authenticate("bob", "bob-password") is not None
    assert [(e.action, e.actor) for e in service.audit_entries(None)[:2]] == [
        ("staff.unlocked", "cli"),
        ("staff.locked", "system"),
    ]


def test_a_locked_account_and_an_unknown_one_get_the_same_answer(new_client, service, clock) -> None:  # type: ignore[no-untyped-def]
    lock_out(service, clock, "carol")
    answers = []
    for username, password in [("carol", "carol-password"), ("nobody", "x-password"), ("alice", "wrong-one")]:
        answer = new_client().post("/api/session", json={"username": username, "password": password})
        answers.append((answer.status_code, answer.json()))
    assert answers == [(401, {"detail": SIGN_IN_FAILED})] * 3  # the page shows the same (test_security)


def failed_sign_ins(base: str) -> list[int]:
    """Four failed sign-ins, each claiming to come from a different address."""
    return [
        httpx.post(f"{base}/api/session", json={"username": "alice", "password": "wrong-one"},
                   headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code  # fmt: skip
        for n in range(4)
    ]


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(app) -> None:  # type: ignore[no-untyped-def]
    with running_server(app, trusted_proxies="") as base:
        assert failed_sign_ins(base) == [401, 401, 401, 429]  # all counted against 127.0.0.1


def test_x_forwarded_for_from_a_configured_proxy_names_the_client(app) -> None:  # type: ignore[no-untyped-def]
    with running_server(app, trusted_proxies="127.0.0.1") as base:
        assert failed_sign_ins(base) == [401, 401, 401, 401]  # four different clients behind the proxy


def test_governance_unlock_an_account_on_the_staff_page(browser, base_url: str, service, clock) -> None:  # type: ignore[no-untyped-def]
    lock_out(service, clock, "bob")
    gov = staff_page(browser, base_url, "gov")
    gov.get_by_role("link", name="Staff", exact=True).click()
    row = gov.locator('tr[data-account="bob"]')
    assert row.get_by_test_id("locked").inner_text().startswith("Locked until")
    assert gov.locator('tr[data-account="alice"]').inner_text().endswith("Can sign in")
    row.get_by_role("button", name="Unlock Bob Ray (radiographer)").click()
    assert gov.get_by_role("status").inner_text() == "Bob Ray (radiographer) can sign in again."
    assert gov.locator('tr[data-account="bob"]').get_by_test_id("locked").count() == 0
    assert service.authenticate("bob", "bob-password") is not None
    unlocked = service.audit_entries(None)[0]
    assert (unlocked.action, unlocked.subject, unlocked.actor) == ("staff.unlocked", "staff:bob", "staff:gov")


def test_only_governance_see_and_unlock_accounts(client) -> None:  # type: ignore[no-untyped-def]
    sign_in_page(client, "alice", "alice-password")
    assert client.get("/admin/staff").status_code == 403
    headers = {"X-CSRF-Token": csrf_of(client, "/staff")}
    assert client.post("/api/admin/staff/bob/unlock", headers=headers).status_code == 403
