"""Files and input: the data folder and database are created private; NUL, control and text-direction
characters in any text field get a clear 422 (never a 500), on SQLite and PostgreSQL alike; contact
details must be a UK phone number or an e-mail address; errors never repeat what was sent."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardsafe.config import Settings
from wardsafe.store.service import PermissionService
from wardsafe.web import create_app

BAD = {"NUL": "\x00", "bell": "\x07", "escape": "\x1b[2J", "right-to-left override": "\u202e", "isolate": "\u2066"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """These tests run on both databases: PostgreSQL used to answer 500 to a NUL byte."""
    return request.param


def body(client: TestClient, **fields: object) -> dict[str, object]:
    alice = [p["id"] for p in client.get("/api/areas/radiotherapy-1/staff").json() if p["name"].startswith("Alice")]
    request: dict[str, object] = {"area_id": "radiotherapy-1", "media": ["video"], "purpose": "family",
                                  "patient_name": "Sam", "contact": "07700 900123", "staff": alice}  # fmt: skip
    request.update(fields)
    return request


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("field", ["patient_name", "contact", "note", "staff"])
def test_control_and_direction_characters_are_a_clear_422(client, service, staff_ids, field: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    value = f"Sam{BAD[kind]}secret"
    sent = body(client, **{field: [value] if field == "staff" else value})
    answer = client.post("/api/requests", json=sent)
    assert answer.status_code == 422, answer.text
    assert "secret" not in answer.text  # never repeats what was sent
    assert service.admin_requests(staff_ids["gov"]) == []


def test_line_breaks_are_kept_in_a_note_but_not_in_a_name(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/requests", json=body(client, note="line one\nline two")).status_code == 201
    assert client.post("/api/requests", json=body(client, patient_name="Sam\nJones")).status_code == 422


def test_a_nul_in_sign_in_or_a_decision_is_never_a_500(client, service) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/session", json={"username": "ali\x00ce", "password": "alice-password"}).status_code == 401
    created = client.post("/api/requests", json=body(client)).json()["request"]["code"]
    token = client.post("/api/session", json={"username": "alice", "password": "alice-password"}).json()["csrf_token"]
    answer = client.post(f"/api/staff/requests/{created}/decision", json={"decision": "agree", "reason": "ok\x00"},
                         headers={"X-CSRF-Token": token})  # fmt: skip
    assert answer.status_code == 422 and "reason" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("contact", "accepted"),
    [
        ("07700 900123", True),
        ("+44 7700 900123", True),
        ("(020) 7946 0958", True),
        ("sam.patel@example.org", True),
        ("x", False),
        ("call me", False),
        ("12345", False),
        ("sam@", False),
        ("https://example.org/me", False),
    ],
)
def test_contact_is_a_uk_phone_number_or_an_e_mail(client, contact: str, accepted: bool) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/api/requests", json=body(client, contact=contact))
    assert answer.status_code == (201 if accepted else 422), answer.text
    if not accepted:
        assert answer.json() == {
            "detail": "give a UK phone number (like 07700 900123) or an e-mail address, so that staff can reach you"
        }


def test_errors_never_repeat_what_was_sent(client) -> None:  # type: ignore[no-untyped-def]
    secret = "zebedee-quill-07700900999"
    answers = [
        client.get(f"/api/areas/{secret}"),
        client.get(f"/a/{secret}"),
        client.post("/api/requests", json=body(client, staff=[secret])),
        client.post("/api/requests", json=body(client, media=[secret])),
        client.post("/api/areas/radiotherapy-1/check", json={"media": [secret], "purpose": secret}),
    ]
    assert [a.status_code for a in answers] == [404, 404, 422, 422, 422]
    for answer in answers:
        assert "zebedee" not in answer.text.lower(), answer.text


def test_the_staff_list_publishes_no_usernames(client) -> None:  # type: ignore[no-untyped-def]
    people = client.get("/api/areas/radiotherapy-1/staff").json()
    names = ["Alice Ng (RN)", "Bob Ray (radiographer)", "Mona Haddad (ward manager)"]
    assert sorted(p["name"] for p in people) == names
    assert all(set(p) == {"id", "name"} and p["id"] not in {"alice", "bob", "mona"} for p in people)
    for page in [client.get("/a/radiotherapy-1").text, client.get("/api/areas/radiotherapy-1/staff").text]:
        assert not any(f'"{u}"' in page for u in ("alice", "bob", "mona"))


def test_data_folder_and_database_are_created_private(tmp_path: Path, backend: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if backend != "sqlite":
        pytest.skip("the PostgreSQL server keeps its own files")
    monkeypatch.delenv("WARDSAFE_AUDIT_KEY")  # so the audit key is generated into the data folder too
    data = tmp_path / "fresh" / "var"
    settings = Settings(data_dir=data, database_url=None)
    service = PermissionService.from_settings(settings)
    create_app(settings, service=service)
    service.engine.dispose()
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    for name in ["wardsafe.db", "session-secret", "audit-key"]:
        assert stat.S_IMODE(os.stat(data / name).st_mode) == 0o600, name
    for extra in data.glob("wardsafe.db-*"):  # SQLite's -wal and -shm follow the database's mode
        assert stat.S_IMODE(os.stat(extra).st_mode) == 0o600, extra.name


def test_the_pages_answer_422_not_500_too(client, service, staff_ids) -> None:  # type: ignore[no-untyped-def]
    from web.helpers import ask, csrf_of

    answer = ask(client, patient_name="Sam\x00Jones")
    assert answer.status_code == 422  # the form comes back (with what was typed, as forms do) and a message
    assert "control or text-direction characters" in answer.text
    token = csrf_of(client, "/login")
    login = client.post("/login", data={"csrf_token": token, "username": "al\x00ice", "password": "alice-password"})
    assert login.status_code == 401
    assert service.admin_requests(staff_ids["gov"]) == []
