"""Fixtures for the web tests: the real app over a fresh seeded SQLite database (see tests/conftest.py),
a TestClient speaking HTTPS (session cookies are Secure), and helpers to read CSRF tokens and sign in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from wardsafe.config import Settings
from wardsafe.web import create_app
from wardsafe.web.context import WebLimits
from web.browsing import CHROMIUM, CHROMIUM_ARGS
from web.live import running_server


@pytest.fixture
def backend() -> str:
    """Web tests run on SQLite; the storage tests cover PostgreSQL."""
    return "sqlite"


@pytest.fixture
def limits() -> WebLimits:
    """The default limits; a test may override this fixture."""
    return WebLimits()


@pytest.fixture
def app(service: object, tmp_path: Path, limits: WebLimits) -> FastAPI:
    """The app over the seeded service (staff alice, bob, carol, mona, gov)."""
    settings = Settings(data_dir=tmp_path / "data", public_url="https://testserver")  # where the test client goes
    return create_app(settings, service=service, limits=limits)  # type: ignore[arg-type]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A browser-like client (keeps cookies) over HTTPS."""
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def new_client(app: FastAPI) -> Iterator[object]:
    """A factory of independent clients: one per person in a test."""
    made: list[TestClient] = []

    def make() -> TestClient:
        made.append(TestClient(app, base_url="https://testserver"))
        return made[-1]

    yield make
    for each in made:
        each.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's, driven by Playwright) for a module of browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: run `make setup`", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def base_url(service: object, tmp_path: Path) -> Iterator[str]:
    """The real server (uvicorn on a loopback port) over the seeded database, for browser tests."""
    app = create_app(Settings(data_dir=tmp_path / "data"), service=service)  # type: ignore[arg-type]
    with running_server(app) as url:
        app.state.web.public_url = url  # links and QR codes point at this server (WARDSAFE_PUBLIC_URL)
        yield url
