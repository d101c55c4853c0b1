"""Pages for patients and relatives: no account, reached from an area's QR code; the request's status
page is reached only by its unguessable link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from wardsafe.errors import InputError
from wardsafe.permits.errors import NotAllowed
from wardsafe.permits.model import Media, Purpose, Verdict
from wardsafe.store.service import AreaView, NewRequest, RequestView, StaffView
from wardsafe.web.context import (
    check_csrf,
    check_rate,
    flash,
    public_link,
    render,
    service,
    signed_in_staff,
)
from wardsafe.web.pages_recordings import STATE_WORDS
from wardsafe.web.qr import qr_svg

router = APIRouter(include_in_schema=False)
# What the upload form's file picker offers, by the permit's media.
UPLOAD_ACCEPT = {Media.PHOTO: "image/*", Media.VIDEO: "video/*", Media.AUDIO: "audio/*"}


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request) -> HTMLResponse:
    """The start page: the areas that take requests, and the staff sign-in."""
    areas = service(request).list_areas()
    return render(request, "home.html", {"areas": areas}, staff=signed_in_staff(request))


# How long each typed field may be (the service's limits), checked here to answer beside the field.
FIELD_LIMITS = {"patient_name": 80, "contact": 120, "note": 500}


def _form_page(
    request: Request,
    area: AreaView,
    values: dict[str, object] | None = None,
    error: str | None = None,
    reasons: list[str] | None = None,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    staff: list[StaffView] | None = None,
) -> HTMLResponse:
    staff_list = service(request).list_area_staff(area.id) if staff is None else staff
    context = {
        "area": area,
        # With nobody registered to agree, only what the policy allows outright can succeed.
        "form_area": area if staff_list else area.without_decisions(),
        "staff_list": staff_list,
        "values": values or {"media": [], "staff": []},
        "error": error,
        "errors": errors or {},
        "reasons": reasons or [],
        "never_media": [m for m in Media if area.media.get(m, Verdict.NEVER) is Verdict.NEVER],
        "never_purposes": [p for p in Purpose if area.purposes.get(p, Verdict.NEVER) is Verdict.NEVER],
    }
    return render(request, "request_form.html", context, status_code=status_code)


@router.get("/a/{area_id}", response_class=HTMLResponse, name="request_form")
def request_form(request: Request, area_id: str) -> HTMLResponse:
    """The request form for one area, led by the policy's answer: refused here, nobody to agree, allowed
    at once, or each member of staff decides."""
    return _form_page(request, service(request).get_area(area_id))


def _field_errors(values: dict[str, str]) -> dict[str, str]:
    """Messages for the typed fields, each shown beside its own field."""
    errors: dict[str, str] = {}
    if not values["patient_name"].strip():
        errors["patient_name"] = "Give a name staff can call you by."
    if not values["contact"].strip():
        errors["contact"] = "Give a mobile number or an email address, so that staff can reach you."
    for name, limit in FIELD_LIMITS.items():
        if len(values[name].strip()) > limit:
            errors[name] = f"Keep this under {limit} characters (it has {len(values[name].strip())})."
    return errors


def _field_of(message: str) -> str:
    """Which field a service's input error is about, from the words it uses for each field (``form`` when
    it names none). The most specific words come first: the name's own words mention staff."""
    lowered = message.lower()
    for field_name, words in (
        ("patient_name", ("the name staff can call you", "nhs number")),
        ("contact", ("how to reach you", "phone number", "e-mail")),
        ("note", ("the note",)),
        ("staff", ("staff",)),
    ):
        if any(word in lowered for word in words):
            return field_name
    return "form"


@router.post("/a/{area_id}", name="request_submit", response_model=None)
def request_submit(
    request: Request,
    area_id: str,
    csrf_token: Annotated[str, Form()] = "",
    patient_name: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
    media: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults per request
    purpose: Annotated[str, Form()] = "",
    staff: Annotated[list[str], Form()] = [],  # noqa: B006
    note: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Stores a request and sends the patient to its private status page. A form that cannot be stored
    comes back with what was typed and a message beside each field at fault; a request the policy never
    allows is answered on the form and not stored: nothing about the patient is kept for it."""
    check_csrf(request, csrf_token)
    check_rate(request, "patient")
    permissions = service(request)
    area = permissions.get_area(area_id)
    choices = permissions.list_area_staff(area.id)
    values: dict[str, object] = {
        "patient_name": patient_name,
        "contact": contact,
        "media": media,
        "purpose": purpose,
        "staff": staff,
        "note": note,
    }

    def again(errors: dict[str, str], error: str | None = None, reasons: list[str] | None = None) -> HTMLResponse:
        return _form_page(request, area, values, error, reasons, 422, errors, choices)

    errors = _field_errors({"patient_name": patient_name, "contact": contact, "note": note})
    chosen_media = [Media(m) for m in media if m in set(Media)]
    chosen_purpose = Purpose(purpose) if purpose in set(Purpose) else None
    if not chosen_media or len(chosen_media) != len(media):
        errors["media"] = "Choose what you want to record." if not media else "Choose from the options shown."
    if chosen_purpose is None:
        errors["purpose"] = "Choose why you want to record." if not purpose else "Choose from the options shown."
    if chosen_purpose is not None and not errors.keys() & {"media", "purpose"}:
        # The policy's answer first: a request never allowed here needs no other corrections.
        answer = permissions.check_request(area.id, chosen_media, chosen_purpose)
        if answer.verdict is Verdict.NEVER:
            return again({}, "The policy for this area does not allow this request.", answer.reasons)
        if answer.verdict is Verdict.NEEDS_DECISION and not staff:
            errors["staff"] = "Tick every member of staff who will be in the recording: each of them must agree."
    if errors or chosen_purpose is None:
        return again(errors)
    try:
        created = permissions.create_request(
            NewRequest(
                area_id=area.id,
                media=chosen_media,
                purpose=chosen_purpose,
                patient_name=patient_name.strip(),
                contact=contact.strip(),
                staff=staff,  # public ids, as the form carries them (the service checks each)
                note=note.strip() or None,
            )
        )
    except InputError as exc:
        field_name = _field_of(str(exc))
        if "username" in str(exc) or "working in" in str(exc):  # echo no reference or username: say what to do
            return again({"staff": "The list of staff has changed: tick the staff looking after you again."})
        return again({field_name: _sentence(str(exc))})
    flash(request, "Your request was sent. Keep this page: bookmark it or note its code.")
    return RedirectResponse(request.url_for("request_status", token=created.token).path, status_code=303)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@router.get("/r/{token}", response_class=HTMLResponse, name="request_status")
def request_status(request: Request, token: str) -> HTMLResponse:
    """The patient's own request: its state, each decision and, once issued, the permit card."""
    view = service(request).get_request_by_token(token)
    # On the ward tablet, the patient carries the page away to their phone by scanning this code.
    qr = qr_svg(public_link(request, "request_status", token=token))
    context = {
        "req": view, "token": token, "qr": qr, "recordings": service(request).list_recordings(token),
        "states": STATE_WORDS,
        "upload_accept": ",".join(UPLOAD_ACCEPT[m] for m in view.media),
        "upload_words": " or ".join(m.value for m in view.media),
    }
    return render(request, "request_status.html", context)


@router.get("/r/{token}/cancel", response_class=HTMLResponse, name="request_cancel_confirm")
def request_cancel_confirm(request: Request, token: str) -> HTMLResponse:
    """Asks the patient to confirm before cancelling: a cancelled request cannot be taken back."""
    view = service(request).get_request_by_token(token)
    what = "your permit" if view.permit else "your request"
    context = {
        "heading": f"Cancel {what}?",
        "points": [
            f"Staff will see that you cancelled {what} {view.code}. This cannot be undone.",
            "You must not record under it after cancelling. You can ask again with a new request.",
        ],
        "action": request.url_for("request_cancel", token=token).path,
        "confirm": f"Yes, cancel {what}",
        "css": "danger",
        "back": request.url_for("request_status", token=token).path,
        "back_text": "No, go back",
    }
    return render(request, "confirm.html", context)


@router.post("/r/{token}/cancel", name="request_cancel")
def request_cancel(request: Request, token: str, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """The patient cancels their request or their unused permit."""
    check_csrf(request, csrf_token)
    service(request).cancel_request(token)
    flash(request, "Your request is cancelled.")
    return RedirectResponse(request.url_for("request_status", token=token).path, status_code=303)


def _publishable(request: Request, token: str) -> RequestView:
    """The request, if its permit lets the patient publish; NotAllowed if it forbids publishing."""
    view = service(request).get_request_by_token(token)
    if view.permit is not None and not view.permit.allows_publishing:
        raise NotAllowed("This permit is for your own record and family only: it does not allow publishing.")
    return view


@router.get("/r/{token}/used", response_class=HTMLResponse, name="request_used_confirm")
def request_used_confirm(request: Request, token: str) -> HTMLResponse:
    """Explains what saying "I have published" does, and asks the patient to confirm it."""
    view = _publishable(request, token)
    context = {
        "heading": "Have you published your recording?",
        "points": [
            "Tell us only after you have posted or shared the recording publicly, as your permit allows.",
            "Once you confirm, the staff involved can no longer withdraw their permission for "
            f"permit {view.permit.code if view.permit else view.code}, and you cannot undo this.",
            "If you have not published yet, go back: you can still record while the permit is in force.",
        ],
        "action": request.url_for("request_used", token=token).path,
        "confirm": "Yes, I have published it",
        "css": "",
        "back": request.url_for("request_status", token=token).path,
        "back_text": "No, go back",
    }
    return render(request, "confirm.html", context)


@router.post("/r/{token}/used", name="request_used")
def request_used(request: Request, token: str, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """The patient says they have used the permit to publish; staff can then no longer withdraw it.
    The service refuses it for a permit that does not allow publishing."""
    check_csrf(request, csrf_token)
    service(request).mark_permit_used(token)
    flash(request, "Noted: you have used this permit to publish.")
    return RedirectResponse(request.url_for("request_status", token=token).path, status_code=303)
