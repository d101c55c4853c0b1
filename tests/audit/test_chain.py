"""The hash chain as pure functions: any edit, removal or move of any row is found and named."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardsafe.audit.chain import GENESIS_HASH, AuditRecord, canonical_json, row_hash, verify_chain

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
KEY = b"test-audit-key-kept-apart-from-the-database"


def make_chain(n: int) -> list[AuditRecord]:
    records, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        at = T0 + timedelta(seconds=seq)
        details = canonical_json({"n": seq})
        digest = row_hash(KEY, prev, seq, at, f"staff:s{seq % 3}", "decision.recorded", f"R{seq}", details)
        records.append(AuditRecord(seq, at, f"staff:s{seq % 3}", "decision.recorded", f"R{seq}", details, prev, digest))
        prev = digest
    return records


def check(records: list[AuditRecord], head: AuditRecord | None):  # type: ignore[no-untyped-def]
    return verify_chain(records, head.seq if head else 0, head.hash if head else GENESIS_HASH, KEY)


def test_intact_chain_and_empty_chain_verify() -> None:
    chain = make_chain(6)
    result = check(chain, chain[-1])
    assert result.ok and result.rows == 6 and result.head_hash == chain[-1].hash
    assert check([], None).ok


def test_canonical_json_is_order_independent() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == canonical_json({"a": [1, "é"], "b": 1}) == '{"a":[1,"é"],"b":1}'


FIELDS = {
    "at": lambda r: r.at + timedelta(microseconds=1),
    "actor": lambda r: "staff:mallory",
    "action": lambda r: "permit.issued",
    "subject": lambda r: r.subject + "X",
    "details": lambda r: canonical_json({"n": -1}),
    "hash": lambda r: "f" * 64,
}


# No wall-clock deadline: these pure tests are fast, but a shared 2-core machine can stall any example.
@settings(deadline=None)
@given(n=st.integers(1, 12), data=st.data())
def test_editing_any_field_of_any_row_is_named(n: int, data: st.DataObject) -> None:
    chain = make_chain(n)
    k = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(sorted(FIELDS)))
    chain[k] = dataclasses.replace(chain[k], **{field: FIELDS[field](chain[k])})
    result = check(chain, make_chain(n)[-1])
    assert not result.ok
    # A forged hash on the last row is caught against the head; anything else at the edited row itself.
    assert result.first_bad_seq == k + 1, result.problem


@settings(deadline=None)
@given(n=st.integers(1, 12), data=st.data())
def test_removing_any_row_is_named(n: int, data: st.DataObject) -> None:
    chain = make_chain(n)
    k = data.draw(st.integers(0, n - 1))
    head = chain[-1]
    del chain[k]
    result = check(chain, head)
    assert not result.ok and result.first_bad_seq == k + 1
    assert "missing" in (result.problem or "")


@settings(deadline=None)
@given(n=st.integers(2, 12), data=st.data())
def test_moving_any_row_is_named(n: int, data: st.DataObject) -> None:
    chain = make_chain(n)
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    # Renumber two rows so that they swap places (as an UPDATE of their seq would), then read in seq order.
    a, b = chain[i], chain[j]
    chain[i], chain[j] = dataclasses.replace(b, seq=a.seq), dataclasses.replace(a, seq=b.seq)
    result = check(chain, make_chain(n)[-1])
    assert not result.ok and result.first_bad_seq == i + 1


def test_rows_out_of_sequence_and_a_rebuilt_tail_are_caught() -> None:
    chain = make_chain(4)
    swapped = [chain[0], chain[2], chain[1], chain[3]]
    assert check(swapped, chain[-1]).first_bad_seq == 2
    # Rewriting the last row with a correct new hash still disagrees with the recorded head.
    forged = chain[:3] + [
        dataclasses.replace(
            chain[3],
            actor="staff:mallory",
            hash=row_hash(KEY, chain[2].hash, 4, chain[3].at, "staff:mallory", chain[3].action, chain[3].subject, "{}"),
            details="{}",
        )
    ]
    result = check(forged, chain[-1])
    assert not result.ok and result.first_bad_seq == 4


def test_a_row_added_after_the_head_is_caught() -> None:
    chain = make_chain(5)
    result = check(chain, chain[2])  # rows 4 and 5 were inserted by hand, the head left alone
    assert not result.ok and result.first_bad_seq == 4 and "after the recorded head" in (result.problem or "")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        row_hash(KEY, GENESIS_HASH, 1, datetime(2026, 1, 1), "a", "b", "c", "{}")


def test_a_chain_rebuilt_without_the_key_fails_at_its_first_row() -> None:
    # Whoever can write the database can recompute plain hashes for every row and the head; without
    # the key kept outside the database, the rebuilt chain does not verify.
    chain = make_chain(5)
    forged, prev = [], GENESIS_HASH
    for record in chain:
        digest = row_hash(b"a guessed key", prev, record.seq, record.at, "staff:mallory", record.action,
                          record.subject, record.details)  # fmt: skip
        forged.append(dataclasses.replace(record, actor="staff:mallory", prev_hash=prev, hash=digest))
        prev = digest
    result = check(forged, forged[-1])
    assert (result.ok, result.first_bad_seq) == (False, 1) and "audit key" in (result.problem or "")
