"""Recordings uploaded under a permit and their jobs' rows: the part of the permission service the
upload API, the job workers and the review pages share. Every change is audited in its transaction;
audit details hold ids, states and counts only, never what was hidden."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wardsafe.errors import InputError
from wardsafe.jobs.files import transcript_path
from wardsafe.jobs.plan import PermitFacts
from wardsafe.permits.errors import InvalidTransition, NotFound
from wardsafe.permits.model import Condition, DecisionKind, Media, Purpose, RequestState
from wardsafe.store.convert import json_list
from wardsafe.store.core import ServiceCore, required_text
from wardsafe.store.models import Recording, RecordingRequest, Staff

ROLE_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")  # "Sam Patel (radiographer)": the role is not the name


def person_name(display_name: str) -> str:
    """A staff member's name as it is written or said: their display name less a role in brackets."""
    return ROLE_SUFFIX.sub("", display_name).strip() or display_name


STATES = ("queued", "running", "review", "released", "failed", "deleted")
STAFF_STATES = ("queued", "running", "review", "released")  # what staff named on the permit see
CUTTABLE = ("queued", "running", "review")  # a cut is asked for before release


@dataclass(frozen=True)
class RecordingView:
    """A recording as the patient's API shows it."""

    id: str
    request_code: str
    kind: str
    state: str
    progress: float
    people: list[int] = field(default_factory=list)
    keep: list[int] = field(default_factory=list)
    hidden: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    cuts: list[dict[str, Any]] = field(default_factory=list)
    original_path: str | None = None
    output_path: str | None = None
    report_path: str | None = None


def _view(recording: Recording, code: str) -> RecordingView:
    return RecordingView(
        id=recording.id,
        request_code=code,
        kind=recording.kind,
        state=recording.state,
        progress=recording.progress,
        people=[int(p) for p in json.loads(recording.people)],
        keep=[int(p) for p in json.loads(recording.keep)],
        hidden={str(k): int(v) for k, v in json.loads(recording.hidden).items()},
        error=recording.error,
        cuts=list(json.loads(recording.cuts)),
        original_path=recording.original_path,
        output_path=recording.output_path,
        report_path=recording.report_path,
    )


class RecordingsPart(ServiceCore):
    """Uploads, job state and review of recordings made under a permit."""

    def permit_facts(self, token: str) -> PermitFacts:
        """What of the permit decides the redaction plan; InvalidTransition unless it is in force."""
        with self._read() as session:
            request = self._request_by_token(session, token)
            return self._facts_in_force(session, request)

    def _facts_in_force(self, session: Session, request: RecordingRequest) -> PermitFacts:
        if self._state(request, self._now()) is not RequestState.PERMITTED or request.permit is None:
            raise InvalidTransition("recordings can be uploaded only while the permit is in force")
        return self._facts(session, request)

    def _facts(self, session: Session, request: RecordingRequest) -> PermitFacts:
        if request.permit is None:
            raise NotFound("this recording's permit no longer exists")
        usernames = json_list(request.permit.unidentifiable_staff)
        names = list(session.execute(select(Staff.display_name).where(Staff.username.in_(usernames))).scalars())
        # Staff who declined must not be recorded at all: if caught, their names are hidden too.
        names += [inv.staff.display_name for inv in request.involvements if inv.decision == DecisionKind.DECLINE.value]
        return PermitFacts(
            media=frozenset(Media(m) for m in request.media.split(",") if m),
            purpose=Purpose(request.purpose),
            conditions=frozenset(Condition(c) for c in json_list(request.permit.conditions)),
            unidentifiable_names=tuple(sorted({person_name(n) for n in names})),
        )

    def new_recording_id(self) -> str:
        """A fresh random id for a recording (it names the upload's folder before the row exists)."""
        return secrets.token_urlsafe(12)

    def add_recording(self, token: str, recording_id: str, kind: str, original: str) -> RecordingView:
        """Stores an uploaded recording as a queued job (the permit must still be in force). Audited."""
        with self._write() as session:
            request = self._request_by_token(session, token, lock=True)
            self._facts_in_force(session, request)
            now = self._now()
            row = Recording(
                id=recording_id, request_id=request.id, kind=kind, state="queued", progress=0.0,
                original_path=original, people="[]", keep="[]", cuts="[]", hidden="{}", attempts=0,
                created_at=now, updated_at=now,
            )
            session.add(row)
            self._audit(session, now, "patient", "recording.uploaded", request.code, recording=recording_id, kind=kind)
            session.flush()
            return _view(row, request.code)

    def get_recording(self, token: str, recording_id: str) -> RecordingView:
        """The patient's recording, by its request's token; NotFound if it is not theirs."""
        with self._read() as session:
            request = self._request_by_token(session, token)
            return _view(self._recording_of(session, request, recording_id), request.code)

    def list_recordings(self, token: str) -> list[RecordingView]:
        """The recordings uploaded under the patient's request, oldest first."""
        with self._read() as session:
            request = self._request_by_token(session, token)
            rows = session.execute(select(Recording).where(Recording.request_id == request.id)
                                   .order_by(Recording.created_at)).scalars().all()
            return [_view(row, request.code) for row in rows]

    def job_view(self, recording_id: str) -> RecordingView:
        """A recording by id alone (for workers)."""
        with self._read() as session:
            row = self._recording(session, recording_id)
            return _view(row, self._code_of(session, row))

    def job_permit_facts(self, recording_id: str) -> PermitFacts:
        """The permit facts behind a job (read by a worker; the permit was in force at upload)."""
        with self._read() as session:
            row = self._recording(session, recording_id)
            request = session.get(RecordingRequest, row.request_id)
            if request is None:
                raise NotFound("this recording's request no longer exists")
            return self._facts(session, request)

    def start_job(self, recording_id: str, worker: str) -> RecordingView | None:
        """Claims a queued job for ``worker`` (None if another claimed it or it is not queued). Audited."""
        with self._write() as session:
            row = self._recording(session, recording_id, lock=True)
            if row.state != "queued":
                return None
            now = self._now()
            row.state, row.progress, row.attempts, row.updated_at = "running", 0.0, row.attempts + 1, now
            code = self._code_of(session, row)
            self._audit(session, now, worker, "recording.job_started", code, recording=row.id, attempt=row.attempts)
            return _view(row, code)

    def job_progress(self, recording_id: str, progress: float) -> None:
        """Records how far a running job is (0..1); not audited (it is not a decision)."""
        with self._write() as session:
            row = self._recording(session, recording_id, lock=True)
            if row.state == "running":
                row.progress = max(0.0, min(1.0, progress))

    def finish_job(
        self, recording_id: str, worker: str, output: str, report: str, people: list[int], hidden: dict[str, int],
        cuts_rendered: int = 0,
    ) -> RecordingView:
        """A job finished: its output and report are written; the recording waits for review, or is queued
        again at once when staff asked for a cut while it ran (``cuts_rendered``: the cuts it rendered). Audited."""
        with self._write() as session:
            row = self._recording(session, recording_id, lock=True)
            now = self._now()
            again = len(json.loads(row.cuts)) > cuts_rendered
            row.state, row.progress, row.updated_at, row.error = "queued" if again else "review", 1.0, now, None
            row.output_path, row.report_path = output, report
            row.people, row.hidden = json.dumps(sorted(people)), json.dumps(hidden, sort_keys=True)
            code = self._code_of(session, row)
            self._audit(session, now, worker, "recording.job_finished", code, recording=row.id, hidden=hidden)
            return _view(row, code)

    def fail_job(self, recording_id: str, worker: str, error: str) -> RecordingView:
        """A job failed with a one-line reason the patient sees. Audited."""
        with self._write() as session:
            row = self._recording(session, recording_id, lock=True)
            now = self._now()
            row.state, row.error, row.updated_at = "failed", error, now
            code = self._code_of(session, row)
            self._audit(session, now, worker, "recording.job_failed", code, recording=row.id)
            return _view(row, code)

    def requeue_running(self, worker: str, only: str | None = None) -> list[str]:
        """Puts jobs left running by a stopped server (or just the job ``only``) back in the queue (their
        outputs were never published: they are written atomically). Returns the queued jobs' ids, oldest first."""
        with self._write() as session:
            now = self._now()
            query = select(Recording).where(Recording.state.in_(("running", "queued")))
            if only is not None:
                query = query.where(Recording.id == only)
            rows = session.execute(query.order_by(Recording.created_at)).scalars().all()
            for row in rows:
                if row.state == "running":
                    row.state, row.progress, row.updated_at = "queued", 0.0, now
                    self._audit(session, now, worker, "recording.job_requeued", self._code_of(session, row),
                                recording=row.id)
            return [row.id for row in rows]

    # ---- review, release and staff ------------------------------------------------------------

    def keep_people(self, token: str, recording_id: str, people: list[int]) -> RecordingView:
        """The patient keeps these people visible: the job is queued again to re-render. Audited."""
        with self._write() as session:
            request = self._request_by_token(session, token, lock=True)
            row = self._recording_of(session, request, recording_id)
            if row.state != "review":
                raise InvalidTransition("people can be kept only while the recording is in review")
            known = {int(p) for p in json.loads(row.people)}
            unknown = sorted(set(people) - known)
            if unknown:
                raise InputError(f"no person {unknown[0]} was found in this recording")
            now = self._now()
            row.keep, row.state, row.progress, row.updated_at = json.dumps(sorted(set(people))), "queued", 0.0, now
            self._audit(session, now, "patient", "recording.kept", request.code, recording=row.id,
                        people=sorted(set(people)))
            return _view(row, request.code)

    def release_recording(self, token: str, recording_id: str) -> tuple[RecordingView, list[str]]:
        """The patient releases the redacted copy. Returns the view and the original's and intermediates'
        paths, which the caller deletes once this is stored (see ``jobs.files.delete_original``). Audited."""
        with self._write() as session:
            request = self._request_by_token(session, token, lock=True)
            row = self._recording_of(session, request, recording_id)
            if row.state != "review":
                raise InvalidTransition("only a recording in review can be released")
            now = self._now()
            doomed = [row.original_path] if row.original_path else []
            row.state, row.original_path, row.updated_at = "released", None, now
            self._audit(session, now, "patient", "recording.released", request.code, recording=row.id,
                        original_deleted=True)
            return _view(row, request.code), doomed

    def staff_recordings(self, staff_id: int, request_code: str) -> list[RecordingView]:
        """Redacted copies under a request the staff member is involved in: released ones, and those still
        being made or in the patient's review (so that staff can ask for a cut before release). Never the
        original: the view's ``original_path`` is left out."""
        with self._read() as session:
            request = self._request_for_staff(session, staff_id, request_code)
            rows = session.execute(select(Recording).where(Recording.request_id == request.id,
                                                           Recording.state.in_(STAFF_STATES))
                                   .order_by(Recording.created_at)).scalars().all()
            return [replace(_view(row, request.code), original_path=None) for row in rows]

    def request_cut(
        self, staff_id: int, request_code: str, recording_id: str, start_s: float, end_s: float, reason: str,
        region: tuple[float, float, float, float] | None = None,
    ) -> RecordingView:
        """A staff member named on the permit asks for a time range to be cut (or, with ``region``, a part of
        the picture hidden) before release; the patient sees it. A copy in review is made again with the cut
        and release waits for it. Audited."""
        why = required_text(reason, "the reason", 500)
        if not 0 <= start_s < end_s:
            raise InputError("the cut must start before it ends, at 0 s or later")
        if region is not None and not (0 <= region[0] < region[2] <= 1 and 0 <= region[1] < region[3] <= 1):
            raise InputError("the region must be x0, y0, x1, y1 as shares of the picture, each from 0 to 1")
        with self._write() as session:
            request = self._request_for_staff(session, staff_id, request_code)
            row = self._recording_of(session, request, recording_id, lock=True)
            if row.state not in CUTTABLE:
                raise InvalidTransition("a cut can be asked for only before the copy is released")
            if row.kind == "image" and region is None:
                raise InputError("a photo has no time range to cut: mark the region to hide")
            staff = self._staff(session, staff_id)
            cuts = json.loads(row.cuts)
            cuts.append({"start_s": start_s, "end_s": end_s, "region": list(region) if region else None,
                         "reason": why, "by": staff.display_name})
            now = self._now()
            row.cuts, row.updated_at = json.dumps(cuts), now
            if row.state == "review":  # made again with the cut; a running job picks it up when it ends
                row.state, row.progress = "queued", 0.0
            self._audit(session, now, f"staff:{staff.username}", "recording.cut_requested", request.code,
                        recording=row.id, start_s=start_s, end_s=end_s, region=region is not None)
            return _view(row, request.code)

    def expired_originals(self, worker: str) -> list[str]:
        """Forgets originals kept longer than the policy's ``retention_days`` (the recording is marked
        deleted unless already released) and returns their paths for the caller to delete. Audited."""
        with self._write() as session:
            now = self._now()
            cutoff = now - timedelta(days=self.policy.retention_days)
            rows = session.execute(select(Recording).where(Recording.original_path.is_not(None),
                                                           Recording.created_at <= cutoff)).scalars().all()
            doomed: list[str] = []
            for row in rows:
                if row.original_path:
                    doomed.append(row.original_path)
                row.original_path, row.updated_at = None, now
                if row.state != "released":
                    doomed.extend(p for p in (row.output_path, row.report_path) if p)
                    if row.output_path:
                        doomed.append(str(transcript_path(Path(row.output_path).parent)))
                    row.state, row.output_path, row.report_path = "deleted", None, None
                self._audit(session, now, worker, "recording.original_deleted", self._code_of(session, row),
                            recording=row.id, retention_days=self.policy.retention_days)
            return doomed

    # ---- lookups -------------------------------------------------------------------------------

    def _request_for_staff(self, session: Session, staff_id: int, request_code: str) -> RecordingRequest:
        """A request the staff member is named on (or any, for governance roles); NotFound otherwise."""
        staff = self._staff(session, staff_id)
        request = self._request_by_code(session, request_code)
        involved = any(inv.staff_id == staff.id for inv in request.involvements)
        if not involved and staff.role not in self.policy.governance_roles:
            raise NotFound("no request with this code")
        return request

    def _recording(self, session: Session, recording_id: str, lock: bool = False) -> Recording:
        query = select(Recording).where(Recording.id == recording_id)
        if lock:
            query = query.with_for_update()
        row = session.execute(query).scalar_one_or_none()
        if row is None:
            raise NotFound("no such recording")
        return row

    def _recording_of(
        self, session: Session, request: RecordingRequest, recording_id: str, lock: bool = False
    ) -> Recording:
        row = self._recording(session, recording_id, lock=lock)
        if row.request_id != request.id:
            raise NotFound("no such recording")
        return row

    def _code_of(self, session: Session, row: Recording) -> str:
        request = session.get(RecordingRequest, row.request_id)
        return request.code if request is not None else "?"


__all__ = ["STAFF_STATES", "STATES", "RecordingView", "RecordingsPart"]


