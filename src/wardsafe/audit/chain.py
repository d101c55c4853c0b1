"""The hash chain: how an audit row's hash is computed, and how a whole trail is checked.

Each row's hash is an HMAC-SHA-256, under a key kept apart from the database, over the previous row's
hash and the canonical JSON of the row's own content (number, time, actor, action, subject, details).
Without the key nobody can compute a valid hash, so a chain rewritten from the first row (by someone who
can write the database but not read the key) fails at row 1. Editing any field, removing a row or
moving rows changes a hash or breaks a link, and ``verify_chain`` names the first row where that
shows. Pure functions: the rows come from the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wardsafe.errors import WardSafeError

GENESIS_HASH = "0" * 64


class AuditChainBroken(WardSafeError):
    """The audit trail was altered: a row was edited, removed or moved (the message names the first)."""

    exit_code = 8


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def format_time(at: datetime) -> str:
    """A UTC time as hashed: ISO 8601 with microseconds and +00:00."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class AuditRecord:
    """The hashed content of one audit row plus its links. ``details`` is canonical JSON text."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    hash: str


def row_hash(
    key: bytes, prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str, details: str
) -> str:
    """The keyed hash of a row with this content that follows a row whose hash is ``prev_hash``."""
    if not key:
        raise ValueError("the audit chain needs a key")
    content = canonical_json(
        {"seq": seq, "at": format_time(at), "actor": actor, "action": action, "subject": subject, "details": details}
    )
    return hmac.new(key, f"{prev_hash}\n{content}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    """The result of checking a trail. ``first_bad_seq`` is None when every row is intact."""

    ok: bool
    rows: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(records: Iterable[AuditRecord], head_seq: int, head_hash: str, key: bytes) -> ChainCheck:
    """Checks records (in stored order of ``seq``) against each other and the recorded head.

    Finds the first row that was edited (its hash no longer matches its content), removed (a number
    is missing, or the trail ends before the head), or moved (its number or link does not fit).
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0

    def bad(seq: int, problem: str) -> ChainCheck:
        return ChainCheck(False, count, prev_hash, seq, problem)

    for record in records:
        if record.seq != expected_seq:
            if record.seq > expected_seq:
                return bad(expected_seq, f"row {expected_seq} is missing (next row is {record.seq})")
            return bad(record.seq, f"row {record.seq} is out of order (expected row {expected_seq})")
        if record.seq > head_seq:
            return bad(
                record.seq, f"row {record.seq} comes after the recorded head (row {head_seq}): added outside WardSafe"
            )
        computed = row_hash(
            key,
            record.prev_hash, record.seq, record.at, record.actor, record.action, record.subject, record.details
        )
        if computed != record.hash:
            return bad(
                record.seq,
                f"row {record.seq} was altered or written without the audit key: its hash does not match its content",
            )
        if record.prev_hash != prev_hash:
            return bad(record.seq, f"row {record.seq} does not follow row {record.seq - 1}: rows removed or reordered")
        prev_hash = record.hash
        count += 1
        expected_seq += 1

    last = expected_seq - 1
    if head_seq > last:
        return bad(last + 1, f"row {last + 1} is missing: the trail ends at row {last} but {head_seq} were written")
    if head_hash != prev_hash:
        return bad(last, f"row {last} does not match the recorded head of the trail")
    return ChainCheck(True, count, prev_hash)
