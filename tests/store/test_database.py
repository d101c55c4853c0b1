"""Migrations and concurrent writers on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from wardsafe.permits.model import DecisionKind, Media, Purpose, RequestState
from wardsafe.store.db import init_db
from wardsafe.store.models import Base
from wardsafe.store.service import NewRequest, PermissionService


def test_migrations_create_the_schema_the_models_describe(db_url: str) -> None:
    engine = init_db(db_url)
    init_db(db_url).dispose()  # running again is harmless
    try:
        assert {"requests", "permits", "audit_events", "audit_head", "staff"} <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_concurrent_decisions_issue_one_permit_and_keep_the_chain(
    service: PermissionService, staff_ids: dict[str, int]
) -> None:
    def ask() -> str:
        new = NewRequest(
            area_id="radiotherapy-1",
            media=[Media.PHOTO],
            purpose=Purpose.FAMILY,
            patient_name="P",
            contact="07700 900123",
            staff=["alice", "bob"],
        )
        return service.create_request(new).token

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(lambda _: ask(), range(16)))
        codes = [service.get_request_by_token(t).code for t in tokens]
        # Alice and Bob decide every request at the same time: the last to agree must issue the permit.
        jobs = [
            pool.submit(service.decide, staff_ids[who], code, DecisionKind.AGREE)
            for code in codes
            for who in ("alice", "bob")
        ]
        for job in jobs:
            job.result()

    views = [service.get_request_by_token(t) for t in tokens]
    assert {v.state for v in views} == {RequestState.PERMITTED}
    assert len({v.permit.code for v in views if v.permit}) == 16
    report = service.audit_verify()
    assert report.ok, report
    issued = [e for e in service.audit_entries(None, limit=1000) if e.action == "permit.issued"]
    assert len(issued) == 16


def test_an_unreachable_database_is_one_clear_error_without_the_password() -> None:
    import os
    import subprocess
    import sys

    from pgserver import free_port

    url = f"postgresql+psycopg://ward:s3cret@127.0.0.1:{free_port()}/wardsafe"
    env = {**os.environ, "WARDSAFE_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "wardsafe", "audit", "verify"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 4
    assert result.stderr.startswith("error: cannot open the database postgresql+psycopg://ward:***@127.0.0.1:")
    assert "s3cret" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_postgresql_is_reported_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pgserver import PostgresMissing, find_bin_dir

    monkeypatch.setenv("WARDSAFE_PG_BIN", str(tmp_path))
    with pytest.raises(PostgresMissing, match="run `make setup`"):
        find_bin_dir()
