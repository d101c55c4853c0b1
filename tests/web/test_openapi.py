"""An honest OpenAPI: schemathesis drives the live server (real uvicorn on a loopback port, a real
database) from /openapi.json, signed in as a real staff session, and every answer must be documented:
its status, content type, headers and body schema, no 5xx, and invalid input refused. A bounded run
(a few examples per operation, derandomised so that a run repeats)."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import Clock, SeededDatabase
from wardsafe.config import Settings
from wardsafe.store.db import init_db
from wardsafe.store.policy_source import load_policy
from wardsafe.store.service import PermissionService
from wardsafe.web import create_app
from wardsafe.web.context import WebLimits
from wardsafe.web.security import CSRF_HEADER, SESSION_COOKIE, ServerSession, load_secret
from web.live import running_server

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


class Live:
    """The running server and what a test needs to act as signed-in staff on it."""

    def __init__(self, url: str, service: PermissionService, secret: bytes, staff_id: int) -> None:
        self.url, self.service, self.secret, self.staff_id = url, service, secret, staff_id

    def sign_in(self, case: Any) -> None:
        """Puts a fresh real session for the governance account (a row, as a sign-in makes; no password
        check, which would spend most of the run in argon2) where the case carries the session cookie and
        CSRF token it generated. Negative cases keep what was generated (missing or wrong), and must be
        refused."""
        session_id = secrets.token_urlsafe(32)
        self.service.save_session(session_id, self.staff_id, {}, renew=True)
        if case.cookies and SESSION_COOKIE in case.cookies:
            case.cookies[SESSION_COOKIE] = session_id
        if case.headers and CSRF_HEADER in case.headers:
            case.headers[CSRF_HEADER] = ServerSession({}, session_id, self.secret).csrf()


@pytest.fixture(scope="module")
def live(_seeded_sqlite: SeededDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("openapi")
    copy = folder / "wardsafe.db"
    shutil.copyfile(_seeded_sqlite.source, copy)
    engine = init_db(f"sqlite:///{copy}")
    service = PermissionService(engine, load_policy(), Clock())
    data = Path(folder / "data")
    app = create_app(Settings(data_dir=data), service=service, limits=WebLimits(patient_requests=10_000))
    try:
        with running_server(app) as url:
            app.state.web.public_url = url
            secret = load_secret(data, None).encode()
            yield Live(url, service, secret, _seeded_sqlite.staff_ids["gov"])
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def api_schema(live: Live) -> Any:
    return schemathesis.openapi.from_url(f"{live.url}/openapi.json")


# schemathesis' own pytest plugin (from_fixture) does not run under pytest 9, so each operation's
# strategy is drawn from directly, the documented way to use schemathesis from Python.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_is_documented(api_schema: Any, live: Live, mode: GenerationMode) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 16
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            if mode is GenerationMode.POSITIVE:
                live.sign_in(case)
            case.call_and_validate(base_url=live.url, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to send wrong: an operation without input
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc


def test_the_schema_documents_auth_and_one_error_shape(live: Live) -> None:
    import httpx

    doc = httpx.get(f"{live.url}/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert {(s["type"], s["in"], s["name"]) for s in schemes.values()} == {
        ("apiKey", "cookie", SESSION_COOKIE),
        ("apiKey", "header", CSRF_HEADER),
    }
    writes = doc["paths"]["/api/staff/requests/{code}/decision"]["post"]
    assert {name for need in writes["security"] for name in need} == set(schemes)
    assert set(writes["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "422", "500"}
    error_refs = {
        answer["content"]["application/json"]["schema"]["$ref"]
        for path in doc["paths"].values()
        for operation in path.values()
        for status, answer in operation["responses"].items()
        if status >= "400"
    }
    assert error_refs == {"#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
