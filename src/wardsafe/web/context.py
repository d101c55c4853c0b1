"""What every route needs: the service, templates, the signed-in staff member, CSRF and rate-limit checks.

Routes call the permission service and render its views; they hold no domain rules and write no SQL.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from wardsafe.permits.errors import NotFound
from wardsafe.permits.model import CONDITION_TEXT, Condition
from wardsafe.store.service import PermissionService, StaffView
from wardsafe.web import labels
from wardsafe.web.security import SlidingWindowLimiter, csrf_token, csrf_valid
from wardsafe.web.timefmt import clock, local_time

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
STAFF_KEY = "staff_id"


@dataclass(frozen=True)
class WebLimits:
    """Per-IP rate limits and the request size limit. Hospital guest Wi-Fi puts many phones behind one
    address, so the patient allowance is generous: it stops floods, not families."""

    patient_requests: int = 30  # new requests per IP per window
    patient_window_s: float = 600.0
    logins: int = 20  # failed sign-ins per IP per window (good ones never count)
    login_window_s: float = 300.0
    max_body_bytes: int = 64 * 1024  # forms and JSON are small; nothing is uploaded here
    # Password checks at once: argon2 takes 64 MiB and tens of ms of CPU each, so a burst of sign-ins
    # queues here instead of taking all memory and starving patients' requests.
    concurrent_logins: int = 2


class RateLimited(Exception):
    """Too many requests from one address; ``retry_after`` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry after {retry_after} s")
        self.retry_after = retry_after


class CsrfFailed(Exception):
    """A form or API write arrived without the token of this browser session."""


class LoginRequired(Exception):
    """A staff page was asked for without a signed-in staff member."""


@dataclass
class WebState:
    """Shared by every request of one app: kept on ``app.state.web``."""

    service: PermissionService
    templates: Jinja2Templates
    limits: WebLimits
    limiters: dict[str, SlidingWindowLimiter] = field(default_factory=dict)
    login_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    # The address patients' phones reach (e.g. https://wardsafe.trust.nhs.uk); signs encode it in QR codes.
    public_url: str = "http://127.0.0.1:8000"

    @property
    def timezone(self) -> str:
        """The trust's time zone, in which every time is shown."""
        return self.service.timezone


def make_templates(timezone: str) -> Jinja2Templates:
    """Jinja2 templates with filters for times in the trust's zone and plain-English labels."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.filters["local"] = lambda moment: local_time(moment, timezone)
    env.filters["label"] = labels.label
    env.filters["clock"] = clock
    env.filters["contact_href"] = labels.contact_href
    env.filters["condition_text"] = lambda code: CONDITION_TEXT[Condition(code)]
    return templates


def web_state(request: Request) -> WebState:
    """The app's shared state."""
    return request.app.state.web


def service(request: Request) -> PermissionService:
    """The permission service."""
    return web_state(request).service


def public_link(request: Request, route: str, **params: str) -> str:
    """The absolute address of a page as phones reach it: always under ``WARDSAFE_PUBLIC_URL`` (by
    default the loopback address ``wardsafe serve`` listens on)."""
    # Never built from the Host header, which the caller chooses.
    return f"{web_state(request).public_url}{request.url_for(route, **params).path}"


def unreachable_host(url: str) -> str | None:
    """The host of ``url`` if phones cannot reach it: a loopback address (``localhost``, 127.0.0.0/8,
    ``::1``) names the phone itself, so a sign printed with it is useless. None for any other host."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return host
    try:
        return host if ipaddress.ip_address(host).is_loopback else None
    except ValueError:
        return None  # a name: it may well resolve for phones


def client_ip(request: Request) -> str:
    """The caller's address (uvicorn sets it from X-Forwarded-For only for trusted proxies)."""
    return request.client.host if request.client else "unknown"


def check_rate(request: Request, bucket: str) -> None:
    """Counts a hit for this IP in ``bucket``; RateLimited when its allowance is spent."""
    limiter = web_state(request).limiters[bucket]
    wait = limiter.hit(f"{bucket}:{client_ip(request)}")
    if wait:
        raise RateLimited(int(wait) + 1)


def check_csrf(request: Request, submitted: str | None) -> None:
    """CsrfFailed unless ``submitted`` is this session's token."""
    if not csrf_valid(request.session, submitted):
        raise CsrfFailed()


def signed_in_staff(request: Request) -> StaffView | None:
    """The signed-in, still active staff member, or None. A deactivated account is signed out."""
    staff_id = request.session.get(STAFF_KEY)
    if not isinstance(staff_id, int):
        return None
    try:
        staff = service(request).get_staff(staff_id)
    except NotFound:
        staff = None
    if staff is None or not staff.active:
        request.session.clear()
        return None
    return staff


# One answer for every failed sign-in, so that it never tells whether an account exists or is locked.
SIGN_IN_FAILED = "The username or password is not right, or the account is locked after too many failed attempts."


async def authenticate(request: Request, username: str, password: str) -> StaffView | None:
    """The staff member with these credentials, or None. At most ``concurrent_logins`` checks run at
    once; the rest wait on the event loop, holding no worker thread that other requests need.

    Only failed sign-ins count against the caller's address (RateLimited once its allowance is spent),
    so a ward behind one address is never locked out by its own good sign-ins at shift change; the
    service also counts failures against the account, whatever the address."""
    state = web_state(request)
    limiter = state.limiters["login"]
    key = f"login:{client_ip(request)}"
    wait = limiter.wait(key)
    if wait:
        raise RateLimited(int(wait) + 1)
    async with state.login_slots:
        staff = await run_in_threadpool(state.service.authenticate, username, password)
    if staff is None:
        limiter.hit(key)
    return staff


def require_staff(request: Request) -> StaffView:
    """The signed-in staff member; LoginRequired if none (pages answer with a redirect to the login)."""
    staff = signed_in_staff(request)
    if staff is None:
        raise LoginRequired()
    return staff


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    staff: StaffView | None = None,
) -> HTMLResponse:
    """A page from ``templates/``, given what the base layout needs (staff nav, CSRF token, flash)."""
    state = web_state(request)
    policy = state.service.policy
    # Errors caught outside the session middleware (500s) render without a session.
    session: dict[str, Any] = request.session if "session" in request.scope else {}
    values: dict[str, Any] = {
        "trust_name": policy.trust_name,
        "timezone": state.timezone,
        "staff": staff,
        "can_govern": staff is not None and staff.role in policy.governance_roles,
        "can_dashboard": staff is not None and staff.role in policy.dashboard_roles,
        "csrf_token": csrf_token(session),
        "flash": session.pop("flash", None),
    }
    values.update(context or {})
    response = state.templates.TemplateResponse(request, name, values, status_code=status_code)
    # Pages show personal details and permit state: never cache them anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


def flash(request: Request, message: str) -> None:
    """A one-line message shown at the top of the next page."""
    request.session["flash"] = message
