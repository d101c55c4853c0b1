"""`wardsafe audit verify` vouches for the state: it replays the audit events and names every request,
decision and permit row changed by hand, and a chain rewritten from the first row (without the audit
key, which is kept apart from the database) fails without --expect-head. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import text

from audit.test_tamper import execute, run_verify
from wardsafe.audit.chain import AuditChainBroken, canonical_json, format_time
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService


def ask(service: PermissionService, staff: list[str]) -> str:
    created = service.create_request(
        NewRequest(area_id="radiotherapy-1", media=[Media.VIDEO], purpose=Purpose.FAMILY, patient_name="Tom",
                   contact="t@example.org", staff=staff)  # fmt: skip
    )
    return created.request.code


def test_a_withdrawn_permit_set_back_to_permitted_by_hand_is_named(
    service: PermissionService, staff_ids: dict[str, int], seeded_url: tuple[str, dict[str, int]]
) -> None:
    code = ask(service, ["alice"])
    service.decide(staff_ids["alice"], code, DecisionKind.AGREE)
    permit = service.withdraw(staff_ids["alice"], code, "changed my mind").permit
    assert permit is not None and service.audit_verify().ok

    # Someone with database access puts the permit back in force; the chain itself is untouched.
    execute(service, "UPDATE requests SET state = 'permitted' WHERE code = :c", c=code)
    execute(service, "UPDATE permits SET withdrawn_at = NULL, withdrawn_by = NULL, withdrawal_reason = NULL")
    report = service.audit_verify()
    assert not report.ok and report.first_bad_seq is None
    assert f"request {code}: state is permitted, the audit trail says withdrawn" in report.mismatches
    assert f"permit {permit.code} (request {code}): withdrawn is False, the audit trail says True" in report.mismatches

    result = run_verify(seeded_url[0])
    assert result.returncode == AuditChainBroken.exit_code, result
    assert f"disagrees: request {code}: state is permitted, the audit trail says withdrawn" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "error: 2 database rows disagree with the audit trail"


def test_a_decline_turned_into_agreement_and_a_request_added_by_hand_are_named(
    service: PermissionService, staff_ids: dict[str, int]
) -> None:
    declined = ask(service, ["alice", "bob"])
    service.decide(staff_ids["bob"], declined, DecisionKind.DECLINE)
    other = ask(service, ["bob"])
    execute(service, "UPDATE involvements SET decision = 'agree' WHERE staff_id = :s", s=staff_ids["bob"])
    with service.engine.begin() as conn:
        row = dict(conn.execute(text("SELECT * FROM requests WHERE code = :c"), {"c": other}).mappings().one())
        row.update(id=row["id"] + 1000, code="QQQ-QQQ", token_hash="f" * 64)
        conn.execute(text(f"INSERT INTO requests ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)
    mismatches = service.audit_verify().mismatches
    assert f"decision of bob on {declined}: is agree, the audit trail says decline" in mismatches
    assert f"decision of bob on {other}: is agree, the audit trail says awaited" in mismatches
    assert "request QQQ-QQQ: not in the audit trail (added outside WardSafe)" in mismatches
    assert len(mismatches) == 3


def test_an_account_enabled_by_hand_is_named(service: PermissionService) -> None:
    service.set_staff_active("carol", False)
    execute(service, "UPDATE staff SET active = :t WHERE username = 'carol'", t=True)
    assert service.audit_verify().mismatches == ["staff carol: account is active, the audit trail says disabled"]


def test_a_whole_chain_rewritten_without_the_key_fails_without_expect_head(
    service: PermissionService, staff_ids: dict[str, int], seeded_url: tuple[str, dict[str, int]]
) -> None:
    code = ask(service, ["alice"])
    service.decide(staff_ids["alice"], code, DecisionKind.DECLINE)
    # The attacker turns the decline into an agreement in the trail and recomputes every hash and the
    # head as an unkeyed chain would be computed: every link and the head are consistent again.
    with service.engine.begin() as conn:
        rows = conn.execute(text("SELECT * FROM audit_events ORDER BY seq")).mappings().all()
        prev = "0" * 64
        for row in rows:
            details = row["details"].replace('"decline"', '"agree"') if row["action"] == "decision.recorded" else (
                row["details"])  # fmt: skip
            content = canonical_json({"seq": row["seq"], "at": format_time(_utc(row["at"])),
                                      "actor": row["actor"], "action": row["action"], "subject": row["subject"],
                                      "details": details})  # fmt: skip
            digest = hashlib.sha256(f"{prev}\n{content}".encode()).hexdigest()
            conn.execute(text("UPDATE audit_events SET details = :d, prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"d": details, "p": prev, "h": digest, "s": row["seq"]})  # fmt: skip
            prev = digest
        conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    result = run_verify(seeded_url[0])  # no --expect-head: nothing recorded outside the database is needed
    assert result.returncode == AuditChainBroken.exit_code, result
    assert result.stderr.startswith("error: audit trail broken at row 1:"), result.stderr
    assert "audit key" in result.stderr


def _utc(value: datetime | str) -> datetime:
    """A stored naive UTC time (SQLite returns text) as an aware one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)
