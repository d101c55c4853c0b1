"""Tampering with the stored audit trail, on SQLite and PostgreSQL, is caught by `wardsafe audit verify`.

Every row is edited, removed and moved in turn (checked in-process, then restored); the real CLI is
run as a subprocess for each kind of tampering and must exit non-zero naming the first bad row.
"""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text

from wardsafe.audit.chain import AuditChainBroken
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService


def make_history(service: PermissionService, staff_ids: dict[str, int]) -> int:
    """A few real requests and decisions; returns the number of audit rows."""
    for staff in (["alice", "bob"], ["bob"]):
        created = service.create_request(
            NewRequest(
                area_id="radiotherapy-1",
                media=[Media.VIDEO],
                purpose=Purpose.FAMILY,
                patient_name="Tom",
                contact="t@example.org",
                staff=staff,
            )
        )
        for username in staff:
            service.decide(staff_ids[username], created.request.code, DecisionKind.AGREE)
    report = service.audit_verify()
    assert report.ok
    return report.rows


def run_verify(url: str, *options: str) -> subprocess.CompletedProcess[str]:
    """The real command line, as a separate process."""
    env = {**os.environ, "WARDSAFE_DATABASE_URL": url}
    command = [sys.executable, "-m", "wardsafe", "audit", "verify", *options]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def execute(service: PermissionService, *statements: str, **params: object) -> None:
    with service.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


def swap(service: PermissionService, a: int, b: int) -> None:
    """Exchange two rows' numbers, i.e. move them (through a free number, as seq is the key)."""
    execute(
        service,
        "UPDATE audit_events SET seq = -1 WHERE seq = :a",
        "UPDATE audit_events SET seq = :a WHERE seq = :b",
        "UPDATE audit_events SET seq = :b WHERE seq = -1",
        a=a,
        b=b,
    )


def test_every_row_edited_removed_or_moved_is_named(service: PermissionService, staff_ids: dict[str, int]) -> None:
    rows = make_history(service, staff_ids)
    for seq in range(1, rows + 1):
        # Edit: change who did it.
        execute(service, "UPDATE audit_events SET actor = actor || 'x' WHERE seq = :s", s=seq)
        report = service.audit_verify()
        assert (report.ok, report.first_bad_seq) == (False, seq), report
        execute(service, "UPDATE audit_events SET actor = substr(actor, 1, length(actor) - 1) WHERE seq = :s", s=seq)

        # Remove, then put back exactly.
        with service.engine.begin() as conn:
            saved = conn.execute(text("SELECT * FROM audit_events WHERE seq = :s"), {"s": seq}).mappings().one()
            conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seq})
        report = service.audit_verify()
        assert (report.ok, report.first_bad_seq) == (False, seq), report
        assert "missing" in (report.problem or "")
        with service.engine.begin() as conn:
            columns = ", ".join(saved.keys())
            values = ", ".join(f":{key}" for key in saved.keys())
            conn.execute(text(f"INSERT INTO audit_events ({columns}) VALUES ({values})"), dict(saved))

        # Move: swap with the next row.
        if seq < rows:
            swap(service, seq, seq + 1)
            report = service.audit_verify()
            assert (report.ok, report.first_bad_seq) == (False, seq), report
            swap(service, seq, seq + 1)
        assert service.audit_verify().ok  # restored exactly


def test_cli_verify_exits_non_zero_naming_the_first_bad_row(
    service: PermissionService, staff_ids: dict[str, int], seeded_url: tuple[str, dict[str, int]]
) -> None:
    url, _ = seeded_url
    rows = make_history(service, staff_ids)
    head = service.audit_verify().head_hash
    good = run_verify(url, "--expect-head", head)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == f"audit trail intact and matches the database: {rows} rows, head {head}"
    wrong_head = run_verify(url, "--expect-head", "0" * 64)
    assert wrong_head.returncode == AuditChainBroken.exit_code and "not the expected" in wrong_head.stderr

    with service.engine.connect() as conn:
        saved = [dict(row) for row in conn.execute(text("SELECT * FROM audit_events ORDER BY seq")).mappings()]

    def restore() -> None:
        columns = ", ".join(saved[0])
        values = ", ".join(f":{key}" for key in saved[0])
        execute(service, "DELETE FROM audit_events")
        with service.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO audit_events ({columns}) VALUES ({values})"), saved)

    tampering = {
        "edit": (8, lambda: execute(service, "UPDATE audit_events SET details = :d WHERE seq = 8", d='{"x":1}')),
        "delete": (7, lambda: execute(service, "DELETE FROM audit_events WHERE seq = 7")),
        "reorder": (6, lambda: swap(service, 6, 9)),
        "delete-last": (rows, lambda: execute(service, "DELETE FROM audit_events WHERE seq = :s", s=rows)),
    }
    for name, (bad_row, tamper) in tampering.items():
        tamper()
        result = run_verify(url)
        assert result.returncode == AuditChainBroken.exit_code, (name, result)
        assert result.stderr.startswith(f"error: audit trail broken at row {bad_row}:"), (name, result.stderr)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
        restore()
    assert service.audit_verify().ok
