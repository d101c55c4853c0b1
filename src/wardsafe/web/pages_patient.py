"""Pages for patients and relatives: no account, reached from an area's QR code; the request's status
page is reached only by its unguessable link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from wardsafe.errors import InputError
from wardsafe.permits.model import Media, Purpose, Verdict
from wardsafe.store.service import AreaView, NewRequest
from wardsafe.web.context import check_csrf, check_rate, flash, public_link, render, service, signed_in_staff
from wardsafe.web.qr import qr_svg

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request) -> HTMLResponse:
    """The start page: the areas that take requests, and the staff sign-in."""
    areas = service(request).list_areas()
    return render(request, "home.html", {"areas": areas}, staff=signed_in_staff(request))


def _form_page(
    request: Request,
    area: AreaView,
    values: dict[str, object] | None = None,
    error: str | None = None,
    reasons: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    staff_list = service(request).list_area_staff(area.id)
    context = {
        "area": area,
        "staff_list": staff_list,
        "values": values or {"media": [], "staff": []},
        "error": error,
        "reasons": reasons or [],
        "media_choices": [m for m in Media if area.media.get(m, Verdict.NEVER) is not Verdict.NEVER],
        "purpose_choices": [p for p in Purpose if area.purposes.get(p, Verdict.NEVER) is not Verdict.NEVER],
        "never_media": [m for m in Media if area.media.get(m, Verdict.NEVER) is Verdict.NEVER],
        "never_purposes": [p for p in Purpose if area.purposes.get(p, Verdict.NEVER) is Verdict.NEVER],
    }
    return render(request, "request_form.html", context, status_code=status_code)


@router.get("/a/{area_id}", response_class=HTMLResponse, name="request_form")
def request_form(request: Request, area_id: str) -> HTMLResponse:
    """The request form for one area, with what its policy allows shown before anything is typed."""
    return _form_page(request, service(request).get_area(area_id))


@router.post("/a/{area_id}", name="request_submit", response_model=None)
def request_submit(
    request: Request,
    area_id: str,
    csrf_token: Annotated[str, Form()] = "",
    patient_name: Annotated[str, Form(max_length=200)] = "",
    contact: Annotated[str, Form(max_length=200)] = "",
    media: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults per request
    purpose: Annotated[str, Form()] = "",
    staff: Annotated[list[str], Form()] = [],  # noqa: B006
    note: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse | RedirectResponse:
    """Stores a request and sends the patient to its private status page. A request the policy never
    allows is answered on the form and not stored: nothing about the patient is kept for it."""
    check_csrf(request, csrf_token)
    check_rate(request, "patient")
    permissions = service(request)
    area = permissions.get_area(area_id)
    values: dict[str, object] = {
        "patient_name": patient_name,
        "contact": contact,
        "media": media,
        "purpose": purpose,
        "staff": staff,
        "note": note,
    }
    try:
        chosen_media = [Media(m) for m in media]
        chosen_purpose = Purpose(purpose) if purpose else None
    except ValueError:
        return _form_page(request, area, values, error="Choose from the options shown.", status_code=422)
    if not chosen_media or chosen_purpose is None:
        error = "Choose what you want to record and why."
        return _form_page(request, area, values, error=error, status_code=422)
    answer = permissions.check_request(area.id, chosen_media, chosen_purpose)
    if answer.verdict is Verdict.NEVER:
        error = "The policy for this area does not allow this request."
        return _form_page(request, area, values, error=error, reasons=answer.reasons, status_code=422)
    try:
        created = permissions.create_request(
            NewRequest(
                area_id=area.id,
                media=chosen_media,
                purpose=chosen_purpose,
                patient_name=patient_name.strip() or " ",
                contact=contact.strip() or " ",
                staff=staff,
                note=note or None,
            )
        )
    except InputError as exc:
        return _form_page(request, area, values, error=_sentence(str(exc)), status_code=422)
    except ValidationError:
        error = "Keep the name under 80 characters, the contact under 120 and the note under 500."
        return _form_page(request, area, values, error=error, status_code=422)
    flash(request, "Your request was sent. Keep this page: bookmark it or note its code.")
    return RedirectResponse(request.url_for("request_status", token=created.token), status_code=303)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@router.get("/r/{token}", response_class=HTMLResponse, name="request_status")
def request_status(request: Request, token: str) -> HTMLResponse:
    """The patient's own request: its state, each decision and, once issued, the permit card."""
    view = service(request).get_request_by_token(token)
    # On the ward tablet, the patient carries the page away to their phone by scanning this code.
    qr = qr_svg(public_link(request, "request_status", token=token))
    return render(request, "request_status.html", {"req": view, "token": token, "qr": qr})


@router.post("/r/{token}/cancel", name="request_cancel")
def request_cancel(request: Request, token: str, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """The patient cancels their request or their unused permit."""
    check_csrf(request, csrf_token)
    service(request).cancel_request(token)
    flash(request, "Your request is cancelled.")
    return RedirectResponse(request.url_for("request_status", token=token), status_code=303)


@router.post("/r/{token}/used", name="request_used")
def request_used(request: Request, token: str, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """The patient says they have used the permit to publish; staff can then no longer withdraw it."""
    check_csrf(request, csrf_token)
    service(request).mark_permit_used(token)
    flash(request, "Noted: you have used this permit to publish.")
    return RedirectResponse(request.url_for("request_status", token=token), status_code=303)
