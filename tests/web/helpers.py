"""Helpers for web tests: read a form's CSRF token, sign a seeded staff member in, submit a request."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client: TestClient, path: str) -> str:
    """The CSRF token in the form on the page at ``path``."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: TestClient, username: str) -> None:
    """Signs a seeded staff member in through the login form."""
    token = csrf_of(client, "/login")
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": f"{username}-password"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def ask(client: TestClient, area: str = "radiotherapy-1", staff: tuple[str, ...] = ("alice", "bob"), **fields: object):
    """A patient submits the request form; returns the response (303 to the status page when stored)."""
    data: dict[str, object] = {
        "csrf_token": csrf_of(client, f"/a/{area}"),
        "patient_name": "Sam",
        "contact": "07700 900123",
        "media": ["video"],
        "purpose": "family",
        "staff": list(staff),
    }
    data.update(fields)
    return client.post(f"/a/{area}", data=data, follow_redirects=False)
