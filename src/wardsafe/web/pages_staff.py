"""Pages for staff: sign in, the inbox of requests awaiting their own decision, withdrawal, checking a
permit card and logging incidents. Every decision is the signed-in staff member's own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from wardsafe.errors import InputError
from wardsafe.permits.errors import NotFound
from wardsafe.permits.model import DecisionKind
from wardsafe.store.service import NewIncident, StaffView
from wardsafe.web.context import (
    STAFF_KEY,
    authenticate,
    check_csrf,
    check_rate,
    flash,
    render,
    require_staff,
    service,
)
from wardsafe.web.labels import label
from wardsafe.web.security import csrf_token as new_csrf_token

router = APIRouter(include_in_schema=False)

INCIDENT_KINDS = ["covert_recording", "recording_after_refusal", "recording_beyond_permit", "other"]


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site may follow a sign-in (never another host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@router.get("/login", response_class=HTMLResponse, name="login_form")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002 - the query name
    """The staff sign-in form."""
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", name="login", response_model=None)
async def login(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form()] = "",  # noqa: A002
) -> HTMLResponse | RedirectResponse:
    """Signs a staff member in. The session is renewed, so a token planted before sign-in is useless."""
    check_csrf(request, csrf_token)
    check_rate(request, "login")
    staff = await authenticate(request, username, password) if username and password else None
    if staff is None:
        context = {"next": _safe_next(next), "error": "The username or password is not right.", "username": username}
        return render(request, "login.html", context, status_code=401)
    request.session.clear()
    request.session[STAFF_KEY] = staff.id
    new_csrf_token(request.session)
    return RedirectResponse(_safe_next(next) or request.url_for("staff_inbox").path, status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """Signs out (clears the session cookie)."""
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse(request.url_for("login_form").path, status_code=303)


@router.get("/staff", response_class=HTMLResponse, name="staff_inbox")
def staff_inbox(request: Request) -> HTMLResponse:
    """Requests awaiting this staff member's decision, and those they were involved in."""
    staff = require_staff(request)
    permissions = service(request)
    awaiting = permissions.staff_inbox(staff.id)
    waiting_codes = {r.code for r in awaiting}
    involved = [r for r in permissions.staff_requests(staff.id) if r.code not in waiting_codes]
    context = {"awaiting": awaiting, "involved": involved, "Decisions": DecisionKind}
    return render(request, "inbox.html", context, staff=staff)


@router.get("/staff/requests/{code}", response_class=HTMLResponse, name="staff_request")
def staff_request(request: Request, code: str) -> HTMLResponse:
    """One request the staff member is involved in, with its permit card and the withdraw form."""
    staff = require_staff(request)
    view = service(request).get_request_for_staff(staff.id, code)
    involved = any(d.staff_username == staff.username for d in view.decisions)
    mine = next((d for d in view.decisions if d.staff_username == staff.username), None)
    context = {"req": view, "involved": involved, "mine": mine, "Decisions": DecisionKind}
    return render(request, "staff_request.html", context, staff=staff)


# What each decision means, said on the page that confirms it.
DECISION_POINTS: dict[DecisionKind, tuple[str, str, list[str]]] = {
    DecisionKind.AGREE: (
        "Agree to this request?",
        "Yes, agree",
        [
            "You agree to be in this recording, and may be identifiable in it.",
            "The permit is issued when every member of staff named has agreed. You can change your answer while "
            "the request waits, and withdraw the permit until the patient publishes.",
        ],
    ),
    DecisionKind.AGREE_IF_UNIDENTIFIABLE: (
        "Agree only if you are not identifiable?",
        "Yes, agree if I'm not identifiable",
        [
            "You agree only if you cannot be identified: the permit will say that your face and name badge "
            "must be hidden before anything is shared.",
            "You can change your answer while the request waits, and withdraw the permit until the patient publishes.",
        ],
    ),
    DecisionKind.DECLINE: (
        "Decline this request?",
        "Yes, decline",
        [
            "The patient will see that you declined and that they must not record you.",
            "One decline ends the request: no permit is issued for it, even if others agreed.",
        ],
    ),
}


@router.get("/staff/requests/{code}/decision", response_class=HTMLResponse, name="staff_decide_confirm")
def staff_decide_confirm(request: Request, code: str, decision: str = "") -> HTMLResponse:
    """Says what a decision means and asks the staff member to confirm it."""
    staff = require_staff(request)
    try:
        kind = DecisionKind(decision)
    except ValueError:
        raise InputError("choose agree, agree if not identifiable, or decline") from None
    view = service(request).get_request_for_staff(staff.id, code)
    heading, confirm, points = DECISION_POINTS[kind]
    context = {
        "heading": heading,
        "summary": True,
        "req": view,
        "Decisions": DecisionKind,
        "points": points,
        "action": request.url_for("staff_decide", code=view.code).path,
        "hidden": {"decision": kind.value},
        "reason_label": "Reason (optional, shown to the patient)" if kind is DecisionKind.DECLINE else None,
        "confirm": confirm,
        "css": {"agree": "agree", "agree_if_unidentifiable": "partial", "decline": "decline"}[kind.value],
        "back": request.url_for("staff_inbox").path,
        "back_text": "No, go back",
    }
    return render(request, "confirm.html", context, staff=staff)


@router.post("/staff/requests/{code}/decision", name="staff_decide")
def staff_decide(
    request: Request,
    code: str,
    csrf_token: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    """Records the signed-in staff member's own decision (one tap from the inbox)."""
    staff = require_staff(request)
    check_csrf(request, csrf_token)
    try:
        kind = DecisionKind(decision)
    except ValueError:
        raise InputError("choose agree, agree if not identifiable, or decline") from None
    view = service(request).decide(staff.id, code, kind, reason or None)
    flash(request, f"Your decision on {view.code} is recorded: {label(kind).lower()}.")
    return RedirectResponse(request.url_for("staff_inbox").path, status_code=303)


@router.post("/staff/requests/{code}/withdraw", name="staff_withdraw")
def staff_withdraw(
    request: Request,
    code: str,
    csrf_token: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    """Withdraws an issued permit, before it is used for publishing; the patient's page shows it."""
    staff = require_staff(request)
    check_csrf(request, csrf_token)
    view = service(request).withdraw(staff.id, code, reason)
    flash(request, f"The permit for {view.code} is withdrawn. The patient's page now shows this.")
    return RedirectResponse(request.url_for("staff_request", code=view.code).path, status_code=303)


@router.get("/staff/check", response_class=HTMLResponse, name="staff_check")
def staff_check(request: Request, code: str | None = None) -> HTMLResponse:
    """Checks a permit's verification code, as read off the patient's phone."""
    staff = require_staff(request)
    permit, error = None, None
    if code:
        try:
            permit = service(request).verify_permit(code)
        except NotFound:
            error = "No permit has this code. Ask the patient to show you their permit page."
    context = {"permit": permit, "code": code or "", "error": error}
    return render(request, "check.html", context, status_code=404 if error else 200, staff=staff)


@router.get("/staff/incidents/new", response_class=HTMLResponse, name="incident_form")
def incident_form(request: Request) -> HTMLResponse:
    """The form on which any staff member logs an incident of covert or refused-permission recording."""
    staff = require_staff(request)
    return _incident_page(request, staff, {}, None)


def _incident_page(
    request: Request, staff: StaffView, values: dict[str, str], error: str | None, status: int = 200
) -> HTMLResponse:
    context = {"areas": service(request).list_areas(), "kinds": INCIDENT_KINDS, "values": values, "error": error}
    return render(request, "incident_form.html", context, status_code=status, staff=staff)


@router.post("/staff/incidents/new", name="incident_submit", response_model=None)
def incident_submit(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    area_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    occurred_at: Annotated[str, Form()] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
) -> HTMLResponse | RedirectResponse:
    """Logs an incident; the time typed is read in the trust's time zone."""
    staff = require_staff(request)
    check_csrf(request, csrf_token)
    values = {"area_id": area_id, "kind": kind, "occurred_at": occurred_at, "description": description}
    permissions = service(request)
    try:
        when = datetime.fromisoformat(occurred_at).replace(tzinfo=ZoneInfo(permissions.timezone))
        incident = NewIncident(area_id=area_id, kind=kind, occurred_at=when, description=description)  # type: ignore[arg-type]
        permissions.log_incident(staff.id, incident)
    except (ValueError, ValidationError, NotFound):
        error = "Choose the area and kind, and give the date and time it happened."
        return _incident_page(request, staff, values, error, 422)
    except InputError as exc:
        return _incident_page(request, staff, values, str(exc).capitalize() + ".", 422)
    flash(request, "The incident is logged. Thank you.")
    return RedirectResponse(request.url_for("staff_inbox").path, status_code=303)

