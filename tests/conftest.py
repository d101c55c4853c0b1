"""Shared pytest fixtures. Each section belongs to one capability; keep sections self-contained."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# ---- databases (permission service) ------------------------------------------------------------
# Storage tests run against SQLite AND a real PostgreSQL server started for the session (tests/pgserver.py).
# If PostgreSQL is not installed the postgres cases FAIL with a clear message: `make setup` installs it.

SEED_PASSWORD = "{username}-password"
# username -> (display name, role, areas). Seeded once per backend, then copied for every test.
SEED_STAFF: dict[str, tuple[str, str, list[str]]] = {
    "alice": ("Alice Ng (RN)", "staff", ["radiotherapy-1", "chemo-day-unit"]),
    "bob": ("Bob Ray (radiographer)", "staff", ["radiotherapy-1"]),
    "carol": ("Carol Diaz (HCA)", "staff", ["chemo-day-unit"]),
    "mona": ("Mona Haddad (ward manager)", "manager", ["radiotherapy-1"]),
    "gov": ("Gina Ovens (information governance)", "admin", []),
}


# The audit chain's key comes from the environment for the whole run, so that the service built in a test
# and the `wardsafe` command run as a subprocess (which inherits the environment) share it, and no key
# file is written into the working tree.
os.environ.setdefault("WARDSAFE_AUDIT_KEY", "test-audit-key-" + "k" * 32)


class Clock:
    """A clock the test moves by hand (injected into the service like the real one; not a mock).

    It starts at the real time, so that a command run as a subprocess (on the real clock) agrees with it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Moves time forward, e.g. ``clock.advance(hours=5)``."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """One PostgreSQL server for the whole session, started only if a test needs it."""
    from pgserver import PostgresMissing, running_postgres

    try:
        with running_postgres() as server:
            yield server
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a storage test runs on (every storage test runs on both)."""
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty database (no schema yet)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'wardsafe.db'}"
    return request.getfixturevalue("postgres_server").create_database()


@dataclass
class SeededDatabase:
    """A migrated database with the SEED_STAFF accounts, to copy for each test."""

    backend: str
    source: str  # a file path (sqlite) or a template database name (postgres)
    staff_ids: dict[str, int]


def _seed(url: str) -> dict[str, int]:
    from wardsafe.store.policy_source import load_policy
    from wardsafe.store.service import PermissionService

    service = PermissionService.open(url, load_policy(), Clock())
    ids = {}
    for username, (name, role, areas) in SEED_STAFF.items():
        password = SEED_PASSWORD.format(username=username)
        ids[username] = service.add_staff(username, name, password, role=role, areas=areas).id  # type: ignore[arg-type]
    service.engine.dispose()
    return ids


@pytest.fixture(scope="session")
def _seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> SeededDatabase:
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    return SeededDatabase("sqlite", str(path), _seed(f"sqlite:///{path}"))


@pytest.fixture(scope="session")
def _seeded_postgres(postgres_server: object) -> SeededDatabase:
    url = postgres_server.create_database("seed_template")  # type: ignore[attr-defined]
    return SeededDatabase("postgres", "seed_template", _seed(url))


@pytest.fixture
def seeded_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, int]]:
    """A fresh copy of the seeded database: its URL and the seeded staff ids by username."""
    if backend == "sqlite":
        seed: SeededDatabase = request.getfixturevalue("_seeded_sqlite")
        copy = tmp_path / "wardsafe.db"
        shutil.copyfile(seed.source, copy)
        return f"sqlite:///{copy}", seed.staff_ids
    seed = request.getfixturevalue("_seeded_postgres")
    return request.getfixturevalue("postgres_server").create_database(template=seed.source), seed.staff_ids


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock starting now."""
    return Clock()


@pytest.fixture
def service(seeded_url: tuple[str, dict[str, int]], clock: Clock) -> Iterator[object]:
    """A PermissionService over a fresh seeded database (default policy), with ``clock``."""
    from wardsafe.store.db import init_db
    from wardsafe.store.policy_source import load_policy
    from wardsafe.store.service import PermissionService

    url, _ = seeded_url
    engine = init_db(url)
    yield PermissionService(engine, load_policy(), clock)
    engine.dispose()


@pytest.fixture
def staff_ids(seeded_url: tuple[str, dict[str, int]]) -> dict[str, int]:
    """Seeded staff ids by username (alice, bob, carol, mona, gov)."""
    return seeded_url[1]
