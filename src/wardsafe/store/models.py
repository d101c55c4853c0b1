"""Database tables (SQLAlchemy 2 declarative). The schema itself is created by the Alembic migrations.

Times are stored as naive UTC and returned timezone-aware (``UTCDateTime``), the same on SQLite and
PostgreSQL. Patient tokens are stored only as their SHA-256, so a copy of the database does not give
access to patients' pages. No NHS number or date of birth is stored, by design.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime stored as naive UTC (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass a timezone-aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    """Base of all tables."""


class Staff(Base):
    """A staff account."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random and meaningless: what the patient's form and the API name staff by, so usernames (half
    # of every sign-in) are never published.
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Failed sign-ins in a row (reset by a good one); at the configured count the account is locked.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    areas: Mapped[list[StaffArea]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def area_ids(self) -> list[str]:
        """Ids of the areas this person works in, sorted."""
        return sorted(a.area_id for a in self.areas)


class StaffArea(Base):
    """An area a staff member works in."""

    __tablename__ = "staff_areas"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class RecordingRequest(Base):
    """A patient's request to record, with the policy's answer; its state moves as staff decide."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    area_id: Mapped[str] = mapped_column(String(64), index=True)
    media: Mapped[str] = mapped_column(String(64))  # comma-separated Media values, sorted
    purpose: Mapped[str] = mapped_column(String(32))
    patient_name: Mapped[str] = mapped_column(String(80))
    contact: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of the policy's reasons
    policy_conditions: Mapped[str] = mapped_column(Text)  # JSON list of Condition values
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    decide_by: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    involvements: Mapped[list[Involvement]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Involvement.position"
    )
    permit: Mapped[Permit | None] = relationship(
        back_populates="request", cascade="all, delete-orphan", lazy="selectin", uselist=False
    )


class Involvement(Base):
    """A staff member involved in a request, and their own decision once made."""

    __tablename__ = "involvements"

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    staff: Mapped[Staff] = relationship(lazy="selectin")


class Permit(Base):
    """The permit issued for a request: period, conditions and verification code."""

    __tablename__ = "permits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    conditions: Mapped[str] = mapped_column(Text)  # JSON list of Condition values
    unidentifiable_staff: Mapped[str] = mapped_column(Text)  # JSON list of usernames
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    request: Mapped[RecordingRequest] = relationship(back_populates="permit")


class Incident(Base):
    """An incident of covert or refused-permission recording."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    description: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reporter: Mapped[Staff] = relationship(lazy="selectin")


class WebSession(Base):
    """A browser's session, kept on the server: the cookie holds only a random id, stored here as its
    SHA-256. Deleting the row ends the session at once (sign-out, a disabled account, sign out everywhere)."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), nullable=True, index=True)
    data: Mapped[str] = mapped_column(Text)  # JSON object: the one-line message for the next page, etc.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Recording(Base):
    """A recording uploaded under a permit, and its redaction job (see ``wardsafe.jobs``). Paths are
    under the data folder; the original's is cleared once its bytes are deleted."""

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: it appears in patients' URLs
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "image", "video" or "audio", as probed
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued|running|review|released|failed|deleted
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    original_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    output_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    people: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of person ids found
    keep: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of person ids the patient keeps
    cuts: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of staff cut requests
    hidden: Mapped[str] = mapped_column(Text, default="{}")  # JSON {kind: count}
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """One row of the append-only, hash-chained audit trail (see ``wardsafe.audit.chain``)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(48))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed exactly as stored
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The newest audit row's number and hash (one row, id 1): lets verify notice a removed last row,
    and is the row writers lock so that audit rows are appended one at a time."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
