"""Headers and links: HSTS over HTTPS, no-store on every answer that carries a token or personal details,
security headers on every answer (413 and 500 included); links are built on WARDSAFE_PUBLIC_URL, never
on the Host header, and `wardsafe serve` on a non-loopback address refuses to start without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardsafe.errors import ConfigError
from web.helpers import csrf_of

SECURITY = ["x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy"]
BODY = {"area_id": "radiotherapy-1", "media": ["photo"], "purpose": "personal_record", "patient_name": "Sam",
        "contact": "sam@example.org", "staff": []}  # fmt: skip


def staff_body(client: TestClient) -> dict[str, object]:
    """A request naming alice, by the id the API publishes for her."""
    people = client.get("/api/areas/radiotherapy-1/staff").json()
    return {**BODY, "staff": [p["id"] for p in people if p["name"].startswith("Alice")]}


def test_hsts_over_https_only(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as secure:
        assert secure.get("/").headers["strict-transport-security"].startswith("max-age=31536000")
    with TestClient(app, base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/").headers


def test_answers_with_tokens_or_personal_details_are_never_stored(client) -> None:  # type: ignore[no-untyped-def]
    created = client.post("/api/requests", json=staff_body(client))
    assert created.status_code == 201
    token = created.json()["token"]
    signed = client.post("/api/session", json={"username": "alice", "password": "alice-password"})
    for answer in [created, client.get(f"/api/requests/{token}"), signed, client.get("/api/staff/inbox"),
                   client.get(f"/r/{token}"), client.get("/api/areas/nowhere")]:  # fmt: skip
        assert answer.headers["cache-control"] == "no-store", answer.request.url
    assert "no-store" not in client.get("/static/style.css").headers.get("cache-control", "")


def test_security_headers_on_every_answer_even_413_and_404(client) -> None:  # type: ignore[no-untyped-def]
    answers = [
        client.get("/"),
        client.get("/no/such/page"),
        client.post("/api/requests", content=b"x" * 100_000, headers={"content-type": "application/json"}),
    ]
    assert [a.status_code for a in answers] == [200, 404, 413]
    for answer in answers:
        assert all(name in answer.headers for name in SECURITY), (answer.status_code, answer.headers)
        assert answer.headers["cache-control"] == "no-store"


def test_links_never_come_from_the_host_header(client) -> None:  # type: ignore[no-untyped-def]
    evil = {"host": "evil.example"}
    created = client.post("/api/requests", json=staff_body(client), headers=evil)
    assert created.json()["status_url"].startswith("https://testserver/r/")
    token = csrf_of(client, "/a/radiotherapy-1")
    form = client.get("/a/radiotherapy-1").text
    staff_id = form.split('name="staff" value="', 1)[1].split('"', 1)[0]
    sent = client.post("/a/radiotherapy-1", headers=evil, follow_redirects=False, data={
        "csrf_token": token, "patient_name": "Sam", "contact": "07700 900123", "media": ["video"],
        "purpose": "family", "staff": [staff_id]})  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"].startswith("/r/")  # a path: no host at all
    status = client.get(sent.headers["location"]).text
    assert "evil.example" not in status and "QR code for https://testserver/r/" in status


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "WARDSAFE_DATA_DIR": str(tmp_path), **env}
    if "WARDSAFE_PUBLIC_URL" not in env:
        environment.pop("WARDSAFE_PUBLIC_URL", None)
    return subprocess.run([sys.executable, "-m", "wardsafe", "serve", *args], env=environment,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_serve_on_a_public_address_needs_the_public_url(tmp_path: Path) -> None:
    run = serve(tmp_path, "--host", "0.0.0.0", "--port", "1")
    assert run.returncode == ConfigError.exit_code
    assert run.stderr.strip().startswith("error: serving on 0.0.0.0 needs WARDSAFE_PUBLIC_URL")
    bad = serve(tmp_path, "--host", "0.0.0.0", "--port", "1", WARDSAFE_PUBLIC_URL="wardsafe.example")
    assert bad.returncode == ConfigError.exit_code and "WARDSAFE_PUBLIC_URL must look like" in bad.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "0.0.0.0", "10.1.2.3"])
def test_only_loopback_addresses_count_as_loopback(host: str) -> None:
    from wardsafe.config import is_loopback_host

    assert is_loopback_host(host) == (host in {"127.0.0.1", "localhost", "::1"})
