"""Pages for safe-share: the patient uploads a recording on their permit's page, follows its job, keeps
themselves visible, and releases the copy; staff named on the permit see the copy and ask for cuts. The
pages use the same service and queue as the API (:mod:`wardsafe.web.recordings`) and work without JavaScript."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from wardsafe.errors import InputError
from wardsafe.jobs.files import delete_original
from wardsafe.permits.errors import InvalidTransition
from wardsafe.web.context import check_csrf, flash, render, require_staff, service
from wardsafe.web.recordings import accept_upload, recording_body, submit

router = APIRouter(include_in_schema=False)

STATE_WORDS = {
    "queued": "Waiting to start",
    "running": "Hiding faces and identifiers",
    "review": "Ready for you to check",
    "released": "Released",
    "failed": "Could not be made safe",
    "deleted": "Deleted",
}
# How a kind of hidden thing reads on the page ("speech:<type>" reads as a spoken identifier).
KIND_WORDS = {"face": "Face", "text": "Written identifier", "cut": "Cut at staff's request"}
REFRESH_S = 3  # a page showing a job in progress reloads itself this often


def kind_words(kind: str) -> str:
    """A hidden thing's kind in words."""
    if kind.startswith("speech"):
        return "Spoken identifier" + (f" ({kind.split(':', 1)[1].replace('_', ' ').lower()})" if ":" in kind else "")
    return KIND_WORDS.get(kind, kind.replace("_", " ").capitalize())


def _recording_path(request: Request, token: str, recording_id: str) -> str:
    return request.url_for("recording_page", token=token, recording_id=recording_id).path


@router.post("/r/{token}/recordings", name="recording_upload", response_model=None)
async def recording_upload(request: Request, token: str, csrf_token: str = "") -> RedirectResponse:
    """The upload form on the permit page (multipart, field ``file``; the CSRF token rides in the query, as
    the body is streamed to disk). Sends the patient to the recording's page, or back with the reason."""
    check_csrf(request, csrf_token)
    try:
        view = await accept_upload(request, token)
    except HTTPException as exc:
        flash(request, f"That file was not accepted: {exc.detail}.")
        return RedirectResponse(request.url_for("request_status", token=token).path, status_code=303)
    return RedirectResponse(_recording_path(request, token, view.id), status_code=303)


@router.get("/r/{token}/recordings/{recording_id}", response_class=HTMLResponse, name="recording_page")
def recording_page(request: Request, token: str, recording_id: str) -> HTMLResponse:
    """A recording's progress, then its review: previews, the people found (tick to keep), what was hidden,
    staff's cut requests, download and release."""
    view = service(request).get_recording(token, recording_id)
    body = recording_body(view, request.url_for("get_recording", token=token, recording_id=view.id).path)
    download = request.url_for("download_recording", token=token, recording_id=view.id).path
    context = {
        "rec": body, "token": token, "download": download, "states": STATE_WORDS, "kind_words": kind_words,
        "refresh": REFRESH_S if view.state in ("queued", "running") else None,
    }
    return render(request, "recording.html", context)


@router.post("/r/{token}/recordings/{recording_id}/keep", name="recording_keep")
def recording_keep(
    request: Request, token: str, recording_id: str, csrf_token: Annotated[str, Form()] = "",
    person: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI copies defaults per request
) -> RedirectResponse:
    """Keeps the ticked people visible: the copy is made again."""
    check_csrf(request, csrf_token)
    view = service(request).keep_people(token, recording_id, person)
    submit(request, view)
    flash(request, "Making your copy again with the people you ticked left visible.")
    return RedirectResponse(_recording_path(request, token, recording_id), status_code=303)


@router.get("/r/{token}/recordings/{recording_id}/release", response_class=HTMLResponse,
            name="recording_release_confirm")
def recording_release_confirm(request: Request, token: str, recording_id: str) -> HTMLResponse:
    """Says what releasing does, and asks the patient to confirm."""
    service(request).get_recording(token, recording_id)  # 404 for a recording that is not theirs
    context = {
        "heading": "Release your safe copy?",
        "points": [
            "Download the safe copy first if you have not: it is the one you may share, as your permit allows.",
            "Releasing deletes your original upload from WardSafe at once. It cannot be undone.",
            "The staff named on your permit will be able to see the safe copy and its report, never the original.",
        ],
        "action": request.url_for("recording_release", token=token, recording_id=recording_id).path,
        "confirm": "Yes, release it",
        "css": "",
        "back": _recording_path(request, token, recording_id),
        "back_text": "No, go back",
    }
    return render(request, "confirm.html", context)


@router.post("/r/{token}/recordings/{recording_id}/release", name="recording_release")
def recording_release(
    request: Request, token: str, recording_id: str, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """Releases the safe copy; the original is deleted."""
    check_csrf(request, csrf_token)
    _view, doomed = service(request).release_recording(token, recording_id)
    delete_original(doomed)
    flash(request, "Released. Your original upload is deleted.")
    return RedirectResponse(_recording_path(request, token, recording_id), status_code=303)


@router.post("/staff/requests/{code}/recordings/{recording_id}/cut", name="staff_cut", response_model=None)
def staff_cut(
    request: Request, code: str, recording_id: str, csrf_token: Annotated[str, Form()] = "",
    start_s: Annotated[str, Form()] = "", end_s: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """A staff member named on the permit asks for a part to be cut before release."""
    staff = require_staff(request)
    check_csrf(request, csrf_token)
    back = request.url_for("staff_request", code=code).path
    try:
        start, end = _seconds(start_s), _seconds(end_s)
        view = service(request).request_cut(staff.id, code, recording_id, start, end, reason)
    except (InputError, InvalidTransition) as exc:
        flash(request, f"The cut was not asked for: {exc}.")
        return RedirectResponse(back, status_code=303)
    submit(request, view)
    flash(request, "Your cut is asked for: the patient sees it, and the copy is made again before release.")
    return RedirectResponse(back, status_code=303)


def _seconds(text: str) -> float:
    """Seconds from "75", "1:15" or "0:01:15"."""
    try:
        parts = [float(p) for p in text.strip().split(":")]
    except ValueError:
        raise InputError("give times as seconds (75) or minutes:seconds (1:15)") from None
    total = 0.0
    for part in parts:
        total = total * 60 + part
    return total
