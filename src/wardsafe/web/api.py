"""The JSON API (``/api/``), documented at ``/openapi.json``.

Patients reach their request with its token; staff sign in with ``POST /api/session``, which sets the
same session cookie as the pages and returns a CSRF token to send as ``X-CSRF-Token`` on every write.
Both are declared as security schemes, every status an operation can answer is listed with it, and
every error has the one ``ErrorBody`` shape.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader
from pydantic import BaseModel, Field

from wardsafe.permits.model import DecisionKind, Media, Purpose, RequestState
from wardsafe.store.service import (
    AreaView,
    NewRequest,
    PermitView,
    PolicyAnswer,
    RequestView,
    StaffView,
)
from wardsafe.web.context import (
    SIGN_IN_FAILED,
    STAFF_KEY,
    authenticate,
    check_csrf,
    check_rate,
    public_link,
    require_staff,
    service,
)
from wardsafe.web.security import CSRF_HEADER, SESSION_COOKIE, csrf_token


class FieldProblem(BaseModel):
    """One part of the request that is not valid (what was sent is never repeated)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer: a sentence, and for a request that could not be read, each problem in it."""

    detail: str
    errors: list[FieldProblem] | None = None


def _answers(*statuses: int) -> dict[int | str, dict[str, object]]:
    """The error answers an operation documents, beside its success (413 and 500 can happen anywhere)."""
    said = {
        400: "The body could not be read (not UTF-8 JSON)",
        401: "Not signed in, or the session ended (signed out, timed out, account disabled)",
        403: "The CSRF token is missing or wrong, or this account may not do this",
        404: "No such area, request, permit or path",
        409: "The request is not in a state that allows this (e.g. decided or withdrawn already)",
        413: "The body is larger than the server accepts",
        422: "What was sent is not valid (the sentence says what to change)",
        429: "Too many attempts from this address; wait for Retry-After seconds",
        500: "Something went wrong on the server; nothing was changed",
    }
    answers: dict[int | str, dict[str, object]] = {
        status: {"model": ErrorBody, "description": said[status]} for status in (*statuses, 413, 500)
    }
    if 429 in statuses:
        answers[429]["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
    return answers


# How staff are known: the session cookie set by POST /api/session, and on every write its CSRF token.
StaffSession = Annotated[
    str | None,
    Security(APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="Set by POST /api/session")),
]
CsrfToken = Annotated[
    str | None,
    Security(APIKeyHeader(name=CSRF_HEADER, auto_error=False, description="The csrf_token from POST /api/session")),
]

router = APIRouter(prefix="/api")


class CheckBody(BaseModel):
    """A request to test against an area's policy (nothing is stored)."""

    media: list[Media] = Field(min_length=1)
    purpose: Purpose


class CreatedBody(BaseModel):
    """A stored request: ``status_url`` (holding the token) is the patient's only way back to it."""

    token: str
    status_url: str
    request: RequestView


class LoginBody(BaseModel):
    """Staff credentials."""

    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class SessionBody(BaseModel):
    """A signed-in staff member and the CSRF token to send as ``X-CSRF-Token`` on writes."""

    staff: StaffView
    csrf_token: str


class DecisionBody(BaseModel):
    """A staff member's own decision."""

    decision: DecisionKind
    reason: str | None = Field(default=None, max_length=500)


class WithdrawBody(BaseModel):
    """Why a permit is withdrawn (shown to the patient)."""

    reason: str = Field(min_length=1, max_length=500)


@router.get("/areas", tags=["patients"], responses=_answers())
def list_areas(request: Request) -> list[AreaView]:
    """Every area and what its policy allows."""
    return service(request).list_areas()


@router.get("/areas/{area_id}", tags=["patients"], responses=_answers(404))
def get_area(request: Request, area_id: str) -> AreaView:
    """One area and what its policy allows."""
    return service(request).get_area(area_id)


class StaffChoice(BaseModel):
    """A member of staff a patient can name: a random public id (send it in ``staff``) and their name.
    Usernames, half of every sign-in, are never published."""

    id: str
    name: str


@router.get("/areas/{area_id}/staff", tags=["patients"], responses=_answers(404))
def list_area_staff(request: Request, area_id: str) -> list[StaffChoice]:
    """The staff working in an area, to name in a request."""
    return [StaffChoice(id=s.public_id, name=s.display_name) for s in service(request).list_area_staff(area_id)]


@router.post("/areas/{area_id}/check", tags=["patients"], responses=_answers(400, 404, 422))
def check_request(request: Request, area_id: str, body: CheckBody) -> PolicyAnswer:
    """What the policy answers to a request here, before anything is stored."""
    return service(request).check_request(area_id, body.media, body.purpose)


@router.post("/requests", status_code=201, tags=["patients"], responses=_answers(400, 404, 422, 429))
def create_request(request: Request, body: NewRequest) -> CreatedBody:
    """Stores a request (rate-limited per IP). Keep ``status_url``: the token in it is not shown again."""
    check_rate(request, "patient")
    created = service(request).create_request(body)
    url = public_link(request, "request_status", token=created.token)
    return CreatedBody(token=created.token, status_url=url, request=created.request)


@router.get("/requests/{token}", tags=["patients"], responses=_answers(404))
def get_request(request: Request, token: str) -> RequestView:
    """The patient's own request, by its token."""
    return service(request).get_request_by_token(token)


@router.post("/requests/{token}/cancel", tags=["patients"], responses=_answers(404, 409))
def cancel_request(request: Request, token: str) -> RequestView:
    """The patient cancels a pending request or an unused permit."""
    return service(request).cancel_request(token)


@router.post("/session", tags=["staff"], responses=_answers(400, 401, 422, 429))
async def sign_in(request: Request, body: LoginBody) -> SessionBody:
    """Signs a staff member in; 401 on wrong credentials or a locked account (one answer for both);
    429 when the caller's address has failed too often."""
    staff = await authenticate(request, body.username, body.password)
    if staff is None:
        raise HTTPException(401, SIGN_IN_FAILED)
    request.session.clear()
    request.session[STAFF_KEY] = staff.id
    return SessionBody(staff=staff, csrf_token=csrf_token(request.session))


@router.delete("/session", status_code=204, tags=["staff"], responses=_answers(403))
def sign_out(request: Request, x_csrf_token: CsrfToken = None, _session: StaffSession = None) -> None:
    """Signs out: the session ends on the server, so a copy of its cookie no longer works."""
    check_csrf(request, x_csrf_token)
    request.session.clear()


@router.delete("/sessions", status_code=204, tags=["staff"], responses=_answers(401, 403))
def sign_out_everywhere(request: Request, x_csrf_token: CsrfToken = None, _session: StaffSession = None) -> None:
    """Signs the signed-in staff member out on every device (e.g. after losing a tablet). Audited."""
    staff = require_staff(request)
    check_csrf(request, x_csrf_token)
    service(request).end_staff_sessions(staff.username, actor_id=staff.id)
    request.session.clear()


@router.get("/staff/inbox", tags=["staff"], responses=_answers(401))
def inbox(request: Request, _session: StaffSession = None) -> list[RequestView]:
    """Pending requests awaiting the signed-in staff member's own decision."""
    return service(request).staff_inbox(require_staff(request).id)


@router.get("/staff/requests/{code}", tags=["staff"], responses=_answers(401, 404))
def staff_request(request: Request, code: str, _session: StaffSession = None) -> RequestView:
    """A request the signed-in staff member is involved in (any, for governance staff)."""
    return service(request).get_request_for_staff(require_staff(request).id, code)


@router.post("/staff/requests/{code}/decision", tags=["staff"], responses=_answers(400, 401, 403, 404, 409, 422))
def decide(
    request: Request, code: str, body: DecisionBody, x_csrf_token: CsrfToken = None, _session: StaffSession = None
) -> RequestView:
    """Records the signed-in staff member's own decision."""
    staff = require_staff(request)
    check_csrf(request, x_csrf_token)
    return service(request).decide(staff.id, code, body.decision, body.reason)


@router.post("/staff/requests/{code}/withdraw", tags=["staff"], responses=_answers(400, 401, 403, 404, 409, 422))
def withdraw(
    request: Request, code: str, body: WithdrawBody, x_csrf_token: CsrfToken = None, _session: StaffSession = None
) -> RequestView:
    """Withdraws an issued permit before it is used for publishing."""
    staff = require_staff(request)
    check_csrf(request, x_csrf_token)
    return service(request).withdraw(staff.id, code, body.reason)


@router.get("/permits/{code}", tags=["staff"], responses=_answers(401, 404))
def verify_permit(request: Request, code: str, _session: StaffSession = None) -> PermitView:
    """Looks a permit up by its verification code (signed-in staff only)."""
    require_staff(request)
    return service(request).verify_permit(code)


@router.get("/admin/requests", tags=["governance"], responses=_answers(401, 403, 422))
def admin_requests(
    request: Request, state: RequestState | None = None, _session: StaffSession = None
) -> list[RequestView]:
    """Every request with its decisions, newest first (governance staff only)."""
    return service(request).admin_requests(require_staff(request).id, state)


@router.get("/admin/staff", tags=["governance"], responses=_answers(401, 403))
def admin_staff(request: Request, _session: StaffSession = None) -> list[StaffView]:
    """Every staff account, with any lock after failed sign-ins (governance staff only)."""
    return service(request).list_staff(require_staff(request).id)


@router.post("/admin/staff/{username}/unlock", tags=["governance"], responses=_answers(401, 403, 404))
def unlock_staff(
    request: Request, username: str, x_csrf_token: CsrfToken = None, _session: StaffSession = None
) -> StaffView:
    """Lifts the lock failed sign-ins put on an account (governance staff only). Audited."""
    staff = require_staff(request)
    check_csrf(request, x_csrf_token)
    return service(request).unlock_staff(username, actor_id=staff.id)
