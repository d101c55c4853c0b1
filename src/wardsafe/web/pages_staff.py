"""Pages for staff: sign in, the inbox of requests awaiting their own decision, withdrawal, checking a
permit card and logging incidents. Every decision is the signed-in staff member's own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from wardsafe.errors import InputError
from wardsafe.permits.errors import NotFound
from wardsafe.permits.model import DecisionKind
from wardsafe.store.service import NewIncident, RequestView, StaffView
from wardsafe.web.context import (
    SIGN_IN_FAILED,
    STAFF_KEY,
    authenticate,
    check_csrf,
    flash,
    render,
    require_staff,
    service,
)
from wardsafe.web.labels import label
from wardsafe.web.pages_recordings import STATE_WORDS, kind_words
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
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",  # noqa: A002
) -> HTMLResponse | RedirectResponse:
    """Signs a staff member in. The session is renewed, so a token planted before sign-in is useless."""
    check_csrf(request, csrf_token)
    # Over-long values are simply wrong credentials (the form comes back), never a bare 422 page.
    plausible = 0 < len(username) <= 200 and 0 < len(password) <= 1000
    staff = await authenticate(request, username, password) if plausible else None
    if staff is None:
        context = {"next": _safe_next(next), "error": SIGN_IN_FAILED, "username": username}
        return render(request, "login.html", context, status_code=401)
    request.session.clear()
    request.session[STAFF_KEY] = staff.id
    new_csrf_token(request.session)
    # Governance decides on no requests: they land on the dashboard, everyone else on their inbox.
    landing = "admin_dashboard" if staff.role in service(request).policy.governance_roles else "staff_inbox"
    return RedirectResponse(_safe_next(next) or request.url_for(landing).path, status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """Signs out: the session ends on the server, so a copy of its cookie no longer works either."""
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse(request.url_for("login_form").path, status_code=303)


@router.post("/logout/everywhere", name="logout_everywhere")
def logout_everywhere(request: Request, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """Signs the staff member out on every device (a lost tablet, a shared password); audited."""
    staff = require_staff(request)
    check_csrf(request, csrf_token)
    service(request).end_staff_sessions(staff.username, actor_id=staff.id)
    request.session.clear()
    return RedirectResponse(request.url_for("login_form").path, status_code=303)


def _page_number(text: str) -> int:
    """A page number from a link; anything else (a mistyped address) is the first page."""
    return int(text) if text.isdigit() and len(text) < 7 else 1


@router.get("/staff", response_class=HTMLResponse, name="staff_inbox")
def staff_inbox(request: Request, page: str = "1", involved_page: str = "1") -> HTMLResponse:
    """Requests awaiting this staff member's decision, and those they were involved in, a page of each."""
    staff = require_staff(request)
    inbox = service(request).staff_inbox_page(staff.id, _page_number(page), _page_number(involved_page))
    context = {"inbox": inbox, "awaiting": inbox.awaiting, "involved": inbox.involved, "Decisions": DecisionKind}
    return render(request, "inbox.html", context, staff=staff)


@router.get("/staff/requests/{code}", response_class=HTMLResponse, name="staff_request")
def staff_request(request: Request, code: str) -> HTMLResponse:
    """One request the staff member is involved in, with its permit card and the withdraw form."""
    staff = require_staff(request)
    return _request_page(request, staff, service(request).get_request_for_staff(staff.id, code))


def _request_page(
    request: Request, staff: StaffView, view: RequestView, reason: str = "", errors: dict[str, str] | None = None
) -> HTMLResponse:
    involved = any(d.staff_username == staff.username for d in view.decisions)
    mine = next((d for d in view.decisions if d.staff_username == staff.username), None)
    context = {
        "req": view,
        "recordings": service(request).staff_recordings(staff.id, view.code),
        "states": STATE_WORDS,
        "kind_words": kind_words,
        "involved": involved,
        "mine": mine,
        "Decisions": DecisionKind,
        "values": {"reason": reason},
        "errors": errors or {},
    }
    return render(request, "staff_request.html", context, status_code=422 if errors else 200, staff=staff)


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
            "If others agree, the permit covers only them, and tells the patient not to record you.",
        ],
    ),
}


@router.get("/staff/requests/{code}/decision", response_class=HTMLResponse, name="staff_decide_confirm")
def staff_decide_confirm(request: Request, code: str, decision: str = "") -> HTMLResponse:
    """Says what a decision means and asks the staff member to confirm it."""
    staff = require_staff(request)
    kind = _decision_kind(decision)
    return _decision_page(request, staff, service(request).get_request_for_staff(staff.id, code), kind)


def _decision_kind(decision: str) -> DecisionKind:
    try:
        return DecisionKind(decision)
    except ValueError:
        raise InputError("choose agree, agree if not identifiable, or decline") from None


def _decision_page(
    request: Request, staff: StaffView, view: RequestView, kind: DecisionKind, reason: str = "", error: str = ""
) -> HTMLResponse:
    heading, confirm, points = DECISION_POINTS[kind]
    context = {
        "heading": heading,
        "summary": True,
        "req": view,
        "Decisions": DecisionKind,
        "points": points,
        "action": request.url_for("staff_decide", code=view.code).path,
        "hidden": {"decision": kind.value},
        "reason_label": "Reason (optional, shown to the patient)" if kind is DecisionKind.DECLINE or reason else None,
        "values": {"reason": reason},
        "errors": {"reason": error} if error else {},
        "confirm": confirm,
        "css": {"agree": "agree", "agree_if_unidentifiable": "partial", "decline": "decline"}[kind.value],
        "back": request.url_for("staff_inbox").path,
        "back_text": "No, go back",
    }
    return render(request, "confirm.html", context, status_code=422 if error else 200, staff=staff)


REASON_LIMIT = 500


def _reason_error(reason: str, required: bool) -> str:
    """The message for a reason that cannot be stored, or "" when it can."""
    if required and not reason.strip():
        return "Give a reason: the patient sees it."
    if len(reason.strip()) > REASON_LIMIT:
        return f"Keep the reason under {REASON_LIMIT} characters (it has {len(reason.strip())})."
    return ""


@router.post("/staff/requests/{code}/decision", name="staff_decide", response_model=None)
def staff_decide(
    request: Request,
    code: str,
    csrf_token: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Records the signed-in staff member's own decision (confirmed on the page that explains it)."""
    staff = require_staff(request)
    check_csrf(request, csrf_token)
    kind = _decision_kind(decision)
    permissions = service(request)
    error = _reason_error(reason, required=False)
    if error:
        return _decision_page(request, staff, permissions.get_request_for_staff(staff.id, code), kind, reason, error)
    view = permissions.decide(staff.id, code, kind, reason.strip() or None)
    flash(request, f"Your decision on {view.code} is recorded: {label(kind).lower()}.")
    return RedirectResponse(request.url_for("staff_inbox").path, status_code=303)


@router.post("/staff/requests/{code}/withdraw", name="staff_withdraw", response_model=None)
def staff_withdraw(
    request: Request,
    code: str,
    csrf_token: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Withdraws an issued permit, before it is used for publishing; the patient's page shows it. Without
    a reason, the page comes back with what was typed and the message beside the reason."""
    staff = require_staff(request)
    check_csrf(request, csrf_token)
    permissions = service(request)
    error = _reason_error(reason, required=True)
    if error:
        view = permissions.get_request_for_staff(staff.id, code)
        return _request_page(request, staff, view, reason, {"reason": error})
    view = permissions.withdraw(staff.id, code, reason.strip())
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
    return _incident_page(request, staff, {})


def _incident_page(
    request: Request, staff: StaffView, values: dict[str, str], errors: dict[str, str] | None = None
) -> HTMLResponse:
    context = {"areas": service(request).list_areas(), "kinds": INCIDENT_KINDS, "values": values, "errors": errors}
    return render(request, "incident_form.html", context, status_code=422 if errors else 200, staff=staff)


DESCRIPTION_LIMIT = 2000


@router.post("/staff/incidents/new", name="incident_submit", response_model=None)
def incident_submit(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    area_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    occurred_at: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Logs an incident; the time typed is read in the trust's time zone. A form that cannot be stored
    comes back with what was typed and a message beside each field at fault."""
    staff = require_staff(request)
    check_csrf(request, csrf_token)
    values = {"area_id": area_id, "kind": kind, "occurred_at": occurred_at, "description": description}
    permissions = service(request)
    errors: dict[str, str] = {}
    if area_id not in {area.id for area in permissions.list_areas()}:
        errors["area_id"] = "Choose the area where it happened."
    if kind not in INCIDENT_KINDS:
        errors["kind"] = "Choose what happened."
    zone = ZoneInfo(permissions.timezone)
    try:
        when = datetime.fromisoformat(occurred_at).replace(tzinfo=zone)
    except ValueError:
        errors["occurred_at"] = "Give the date and time it happened."
    else:
        if when > permissions.clock().astimezone(zone):
            errors["occurred_at"] = "This time is in the future: give the date and time it happened."
    if len(description.strip()) > DESCRIPTION_LIMIT:
        errors["description"] = (
            f"Keep the details under {DESCRIPTION_LIMIT} characters (they have {len(description.strip())})."
        )
    if errors:
        return _incident_page(request, staff, values, errors)
    try:
        incident = NewIncident.model_validate(
            {"area_id": area_id, "kind": kind, "occurred_at": when, "description": description}
        )
        permissions.log_incident(staff.id, incident)
    except InputError as exc:
        field_name = "occurred_at" if "time" in str(exc) else "description"
        return _incident_page(request, staff, values, {field_name: str(exc).capitalize() + "."})
    flash(request, "The incident is logged. Thank you.")
    return RedirectResponse(request.url_for("staff_inbox").path, status_code=303)
