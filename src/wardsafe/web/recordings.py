"""Safe-share API: a patient uploads a recording made under their permit, follows its redaction job,
and downloads the redacted copy (see docs/share.md). Uploads stream to disk; nothing large is held
in memory, and the app's small body limit does not apply to this one route."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from wardsafe.errors import InputError
from wardsafe.jobs.files import delete_original, recording_folder, transcript_path
from wardsafe.jobs.plan import check_covered
from wardsafe.jobs.review import hidden_stretches, people_seen
from wardsafe.media.probe import probe
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.review_images import PREVIEWS, preview_path, thumbnail_path
from wardsafe.store.service import RecordingView
from wardsafe.web.api import CsrfToken, ErrorBody, StaffSession, _answers
from wardsafe.web.context import check_csrf, require_staff, service
from wardsafe.web.recordings_upload import UploadTooLarge, UploadUnreadable, save_file_part
from wardsafe.web.security import BodySizeLimitMiddleware

# The API's upload and the patient page's upload form (which answers with a page).
UPLOAD_PATH = re.compile(r"^(/api/requests/[^/]+/recordings|/r/[^/]+/recordings)/?$")


class JobQueue(Protocol):
    """Where uploaded recordings' jobs go (the in-process pool or Celery)."""

    def submit(self, recording_id: str) -> None:
        """Queues one job."""


@dataclass
class RecordingsState:
    """What the recordings routes need beside the service: kept on ``app.state.recordings``."""

    data_dir: Path
    max_upload_bytes: int
    queue: JobQueue | None = None  # None: jobs wait in the database for a worker started elsewhere


class UploadAwareBodyLimit(BodySizeLimitMiddleware):
    """The app's body limit, except for recording uploads, which stream to disk under their own limit."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and UPLOAD_PATH.match(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class PersonBody(BaseModel):
    """A person found in the recording: tap to keep (``keep`` takes these ids)."""

    id: int
    thumbnail_url: str | None  # their clearest face, until the recording is released
    first_s: float
    last_s: float


class HiddenBody(BaseModel):
    """Something hidden, by kind ("face", "text", "speech:<type>", "cut") and time (a photo: 0 to 0)."""

    kind: str
    start_s: float
    end_s: float


class RecordingBody(BaseModel):
    """A recording and its job, as the patient sees it."""

    id: str
    state: str  # queued|running|review|released|failed|deleted
    kind: str
    progress: float
    people: list[PersonBody]
    keep: list[int]
    hidden: dict[str, int]  # by kind: faces, text regions, spoken spans, parts cut
    hidden_at: list[HiddenBody]
    previews: list[str]  # preview frames of the redacted copy, hidden regions outlined (until release)
    transcript_url: str | None = None  # consultation audio: the transcript, identifiers replaced by their type
    cuts: list[dict[str, Any]]  # staff requests to cut a part before release
    error: str | None = None


def recording_body(view: RecordingView, base: str) -> RecordingBody:
    """The API's (and the pages') view of a recording; ``base`` is its URL path, for pictures' links."""
    report = _report(view)
    # People are numbered by the job's first, planning run; its plan file lasts until release.
    plan = _json(JobPaths.beside(Path(view.output_path)).plan_json) if view.output_path else {}
    people = people_seen(plan) if plan else []
    prefix = Path(view.output_path).with_suffix("") if view.output_path else None
    return RecordingBody(
        id=view.id, state=view.state, kind=view.kind, progress=round(view.progress, 3),
        people=[PersonBody(id=p.id, first_s=p.first_s, last_s=p.last_s,
                           thumbnail_url=f"{base}/people/{p.id}.jpg"
                           if prefix and thumbnail_path(prefix, p.id).is_file() else None)
                for p in people if p.id in view.people],
        keep=view.keep, hidden=view.hidden, cuts=view.cuts, error=view.error,
        hidden_at=[HiddenBody(kind=h.kind, start_s=h.start_s, end_s=h.end_s)
                   for h in (hidden_stretches(report) if report else [])],
        previews=[f"{base}/previews/{n}.jpg" for n in range(PREVIEWS)
                  if prefix and preview_path(prefix, n).is_file()],
        transcript_url=f"{base}/transcript" if view.state in ("review", "released") and _transcript(view) else None,
    )


def _transcript(view: RecordingView) -> Path | None:
    path = transcript_path(Path(view.output_path).parent) if view.output_path else None
    return path if path is not None and path.is_file() else None


def _body(request: Request, token: str, view: RecordingView) -> RecordingBody:
    return recording_body(view, request.url_for("get_recording", token=token, recording_id=view.id).path)


def submit(request: Request, view: RecordingView) -> None:
    """Hands a queued recording to this app's queue (if it has one)."""
    queue = _state(request).queue
    if queue is not None and view.state == "queued":
        queue.submit(view.id)


def _state(request: Request) -> RecordingsState:
    state: RecordingsState = request.app.state.recordings
    return state


router = APIRouter(prefix="/api")

UPLOAD_ANSWERS = _answers(404, 409, 422)
UPLOAD_ANSWERS[415] = {"model": ErrorBody, "description": "Not a photo, video or audio file this permit covers"}
DOWNLOAD_ANSWERS = _answers(404, 409)
DOWNLOAD_ANSWERS[200] = {"content": {"application/octet-stream": {}}, "description": "The redacted file"}


@router.post(
    "/requests/{token}/recordings",
    status_code=202,
    tags=["patients"],
    responses=UPLOAD_ANSWERS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload_recording(request: Request, token: str) -> RecordingBody:
    """Uploads a recording made under the permit (multipart field ``file``) and queues its redaction.
    409 unless the permit is in force; 415 for a file the permit does not cover; 413 over the limit."""
    return _body(request, token, await accept_upload(request, token))


async def accept_upload(request: Request, token: str) -> RecordingView:
    """Streams the request's ``file`` part to the recording's folder, probes it and queues its job (shared by
    the API and the patient's page). HTTPException 409, 413 or 415 as :func:`upload_recording` says."""
    the_service = service(request)
    settings = _state(request)
    permit = await run_in_threadpool(the_service.permit_facts, token)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes:
        raise HTTPException(413, "the recording is larger than this server accepts")
    recording_id = the_service.new_recording_id()
    folder = await run_in_threadpool(recording_folder, settings.data_dir, recording_id)
    try:
        original = await save_file_part(
            request.headers.get("content-type", ""), request.stream(), folder, settings.max_upload_bytes
        )
        info = await run_in_threadpool(probe, original)
        check_covered(info.kind, permit)
        view = await run_in_threadpool(the_service.add_recording, token, recording_id, info.kind, str(original))
    except UploadTooLarge:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(413, "the recording is larger than this server accepts") from None
    except (UploadUnreadable, InputError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(415, str(exc).splitlines()[0]) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if settings.queue is not None:
        settings.queue.submit(view.id)
    return view


@router.get("/requests/{token}/recordings/{recording_id}", tags=["patients"], responses=_answers(404))
def get_recording(request: Request, token: str, recording_id: str) -> RecordingBody:
    """A recording uploaded under the permit: its job's state and progress, the people found and what was hidden."""
    return _body(request, token, service(request).get_recording(token, recording_id))


REPORT_ANSWERS = _answers(404)
REPORT_ANSWERS[200] = {"content": {"application/json": {}}, "description": "The redaction report (counts, times, "
                       "boxes; never what was hidden)"}


@router.get("/requests/{token}/recordings/{recording_id}/report", tags=["patients"], response_class=FileResponse,
            responses=REPORT_ANSWERS)
def download_report(request: Request, token: str, recording_id: str) -> FileResponse:
    """The redaction report of the copy (in review or released)."""
    return _report_file(service(request).get_recording(token, recording_id))


@router.get("/staff/requests/{code}/recordings/{recording_id}/report", tags=["staff"], response_class=FileResponse,
            responses=REPORT_ANSWERS | _answers(401, 403))
def staff_report(request: Request, code: str, recording_id: str, _session: StaffSession = None) -> FileResponse:
    """The redaction report of a copy in review or released."""
    return _report_file(_staff_copy(request, code, recording_id))


def _staff_copy(request: Request, code: str, recording_id: str) -> RecordingView:
    """A redacted copy under a request the signed-in staff member may see; 404 otherwise."""
    views = service(request).staff_recordings(require_staff(request).id, code)
    view = next((v for v in views if v.id == recording_id), None)
    if view is None:
        raise HTTPException(404, "no redacted copy with this id under this request")
    return view


def _report_file(view: RecordingView) -> FileResponse:
    if view.state not in ("review", "released") or not view.report_path or not Path(view.report_path).is_file():
        raise HTTPException(404, "this recording has no report yet")
    return FileResponse(view.report_path, filename=f"wardsafe-{view.id}.report.json", media_type="application/json")


TRANSCRIPT_ANSWERS = _answers(404)
TRANSCRIPT_ANSWERS[200] = {"content": {"text/plain": {}}, "description": "The transcript"}


@router.get("/requests/{token}/recordings/{recording_id}/transcript", tags=["patients"],
            response_class=FileResponse, responses=TRANSCRIPT_ANSWERS)
def download_transcript(request: Request, token: str, recording_id: str) -> FileResponse:
    """A consultation recording's transcript, identifiers replaced by their type (in review or released)."""
    view = service(request).get_recording(token, recording_id)
    path = _transcript(view) if view.state in ("review", "released") else None
    if path is None:
        raise HTTPException(404, "this recording has no transcript")
    return FileResponse(path, filename=f"wardsafe-{view.id}-transcript.txt", media_type="text/plain; charset=utf-8")


PICTURE_ANSWERS = _answers(404)
PICTURE_ANSWERS[200] = {"content": {"image/jpeg": {}}, "description": "A JPEG picture"}


@router.get("/requests/{token}/recordings/{recording_id}/people/{person}.jpg", tags=["patients"],
            response_class=FileResponse, responses=PICTURE_ANSWERS)
def person_thumbnail(request: Request, token: str, recording_id: str, person: int) -> FileResponse:
    """A person's clearest face, to choose whom to keep (deleted with the original at release)."""
    view = service(request).get_recording(token, recording_id)
    return _picture(view, lambda prefix: thumbnail_path(prefix, person))


@router.get("/requests/{token}/recordings/{recording_id}/previews/{n}.jpg", tags=["patients"],
            response_class=FileResponse, responses=PICTURE_ANSWERS)
def preview_frame(request: Request, token: str, recording_id: str, n: int) -> FileResponse:
    """A frame of the redacted copy with every hidden region outlined (deleted at release)."""
    view = service(request).get_recording(token, recording_id)
    return _picture(view, lambda prefix: preview_path(prefix, n))


def _picture(view: RecordingView, where: Callable[[Path], Path]) -> FileResponse:
    path = where(Path(view.output_path).with_suffix("")) if view.output_path else None
    if path is None or not path.is_file():
        raise HTTPException(404, "no such picture")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get(
    "/requests/{token}/recordings/{recording_id}/download",
    tags=["patients"],
    response_class=FileResponse,
    responses=DOWNLOAD_ANSWERS,
)
def download_recording(request: Request, token: str, recording_id: str) -> FileResponse:
    """The redacted copy (in review or released); 409 while it is still being made."""
    view = service(request).get_recording(token, recording_id)
    if view.state not in ("review", "released") or view.output_path is None:
        raise HTTPException(409, "the redacted copy is not ready")
    path = Path(view.output_path)
    return FileResponse(path, filename=f"wardsafe-{view.id}{path.suffix}", media_type="application/octet-stream")


class KeepBody(BaseModel):
    """The people (ids from ``people``) the patient keeps visible; every other face stays hidden."""

    people: list[int] = Field(max_length=200)


class CutBody(BaseModel):
    """A part a staff member named on the permit asks to be cut before release: the picture is blacked out
    and the sound silenced from ``start_s`` to ``end_s``; with ``region`` (x0, y0, x1, y1, shares 0..1 of the
    picture) only that part of the picture is blacked out. A photo needs a region."""

    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    reason: str = Field(min_length=1, max_length=500)
    region: tuple[float, float, float, float] | None = None


class StaffRecordingBody(BaseModel):
    """A redacted copy under a permit (in review or released) with its redaction report and the cuts asked
    for; the original is never shown."""

    id: str
    kind: str
    state: str
    hidden: dict[str, int]
    cuts: list[dict[str, Any]]
    report: dict[str, Any]


@router.post("/requests/{token}/recordings/{recording_id}/keep", tags=["patients"],
             responses=_answers(400, 404, 409, 422))
def keep_people(request: Request, token: str, recording_id: str, body: KeepBody) -> RecordingBody:
    """Keeps these people visible and re-renders; the recording returns to review when done."""
    view = service(request).keep_people(token, recording_id, body.people)
    submit(request, view)
    return _body(request, token, view)


@router.post("/requests/{token}/recordings/{recording_id}/release", tags=["patients"], responses=_answers(404, 409))
def release_recording(request: Request, token: str, recording_id: str) -> RecordingBody:
    """Releases the redacted copy to the staff named on the permit; the original is deleted."""
    view, doomed = service(request).release_recording(token, recording_id)
    delete_original(doomed)
    return _body(request, token, view)


@router.get("/staff/requests/{code}/recordings", tags=["staff"], responses=_answers(401, 403, 404))
def staff_recordings(request: Request, code: str, _session: StaffSession = None) -> list[StaffRecordingBody]:
    """Redacted copies under a request the signed-in staff member is involved in (in review or released),
    with their reports and the cuts asked for."""
    views = service(request).staff_recordings(require_staff(request).id, code)
    return [StaffRecordingBody(id=v.id, kind=v.kind, state=v.state, hidden=v.hidden, cuts=v.cuts, report=_report(v))
            for v in views]


@router.get("/staff/requests/{code}/recordings/{recording_id}/download", tags=["staff"],
            response_class=FileResponse, responses=DOWNLOAD_ANSWERS | _answers(401, 403))
def staff_download(request: Request, code: str, recording_id: str, _session: StaffSession = None) -> FileResponse:
    """The redacted copy, in review or released (never the original)."""
    view = _staff_copy(request, code, recording_id)
    if view.output_path is None or view.state not in ("review", "released"):
        raise HTTPException(404, "no redacted copy with this id under this request")
    path = Path(view.output_path)
    return FileResponse(path, filename=f"wardsafe-{view.id}{path.suffix}", media_type="application/octet-stream")


@router.post("/staff/requests/{code}/recordings/{recording_id}/cut", tags=["staff"],
             responses=_answers(400, 401, 403, 404, 409, 422))
def request_cut(
    request: Request, code: str, recording_id: str, body: CutBody, x_csrf_token: CsrfToken = None,
    _session: StaffSession = None,
) -> StaffRecordingBody:
    """Asks for a time range to be cut (or a region hidden) before release; the patient sees the request, and
    a copy in review is made again with the cut (release waits for it). 409 once released."""
    staff = require_staff(request)
    check_csrf(request, x_csrf_token)
    view = service(request).request_cut(staff.id, code, recording_id, body.start_s, body.end_s, body.reason,
                                        body.region)
    submit(request, view)
    return StaffRecordingBody(id=view.id, kind=view.kind, state=view.state, hidden=view.hidden, cuts=view.cuts,
                              report=_report(view))


def _report(view: RecordingView) -> dict[str, Any]:
    return _json(Path(view.report_path)) if view.report_path else {}


def _json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded
