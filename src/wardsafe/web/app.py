"""The FastAPI app: server-rendered pages for patients, staff and governance, and a JSON API under /api/."""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from wardsafe.config import DEFAULT_PUBLIC_URL, Settings, check_public_url
from wardsafe.errors import InputError, WardSafeError
from wardsafe.permits.errors import InvalidTransition, NotAllowed, NotFound
from wardsafe.store.service import PermissionService
from wardsafe.web import api, pages_admin, pages_patient, pages_recordings, pages_staff, recordings
from wardsafe.web.context import (
    STAFF_KEY,
    STATIC,
    CsrfFailed,
    LoginRequired,
    RateLimited,
    WebLimits,
    WebState,
    make_templates,
    render,
    signed_in_staff,
)
from wardsafe.web.security import (
    SESSION_COOKIE,
    SafeErrorsMiddleware,
    SecurityHeadersMiddleware,
    ServerSessionMiddleware,
    SlidingWindowLimiter,
    load_secret,
)

log = logging.getLogger("wardsafe.web")


# Which HTTP status each domain error becomes.
STATUS_OF: list[tuple[type[WardSafeError], int]] = [
    (NotFound, 404),
    (NotAllowed, 403),
    (InvalidTransition, 409),
    (InputError, 422),
]


def create_app(
    settings: Settings,
    service: PermissionService | None = None,
    limits: WebLimits | None = None,
    queue: recordings.JobQueue | None = None,
) -> FastAPI:
    """The WardSafe web app over ``service`` (by default the one ``settings`` describe: its database,
    migrated to head, and its policy). Raises PolicyError (a ConfigError) on an invalid policy."""
    service = service or PermissionService.from_settings(settings)
    limits = limits or WebLimits(logins=settings.login_failures_per_ip)
    app = WardSafeApp(
        title="WardSafe",
        summary="Permission to record care in hospital: requests, staff decisions, permits and audit.",
        version="1",
        docs_url=None,  # the interactive docs load scripts from a CDN; /openapi.json is the contract
        redoc_url=None,
    )
    app.state.web = WebState(
        service=service,
        templates=make_templates(service.timezone),
        limits=limits,
        limiters={
            "patient": SlidingWindowLimiter(limits.patient_requests, limits.patient_window_s),
            "login": SlidingWindowLimiter(limits.logins, limits.login_window_s),
        },
        login_slots=asyncio.Semaphore(limits.concurrent_logins),
        public_url=check_public_url(settings.public_url or DEFAULT_PUBLIC_URL),
    )
    # Recordings' jobs go to ``queue`` (`wardsafe serve` passes its pool); without one they wait in the database.
    app.state.recordings = recordings.RecordingsState(settings.data_dir, settings.max_upload_mb * 1024 * 1024, queue)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(pages_patient.router)
    app.include_router(pages_staff.router)
    app.include_router(pages_admin.router)
    app.include_router(api.router)
    app.include_router(recordings.router)
    app.include_router(pages_recordings.router)
    _add_error_handlers(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    # Middleware added last runs first: security headers go on every answer (a 413 or a 500 included),
    # errors are caught around everything else, the body limit applies before anything reads the body,
    # then the session is loaded.
    app.add_middleware(
        ServerSessionMiddleware,
        service=service,
        secret=load_secret(settings.data_dir, settings.secret_key),
        cookie=SESSION_COOKIE,
        staff_key=STAFF_KEY,
    )
    app.add_middleware(recordings.UploadAwareBodyLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(SafeErrorsMiddleware, logger=log)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


class WardSafeApp(FastAPI):
    """FastAPI, documenting every error with the app's one ``ErrorBody`` shape (``web.api``)."""

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document. FastAPI adds a 422 with its own ``HTTPValidationError`` to every
        operation that takes input; this app answers those with ``ErrorBody``, so the document says so."""
        if self.openapi_schema is None:
            schema = super().openapi()
            ours = {"$ref": "#/components/schemas/ErrorBody"}
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for answer in operation.get("responses", {}).values():
                        content = answer.get("content", {}).get("application/json", {})
                        if content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                            content["schema"] = ours
            for unused in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(unused, None)
            self.openapi_schema = schema
        return self.openapi_schema


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The same error as JSON for the API or as a page for people."""
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    heading = HTTPStatus(status).phrase if status != 429 else "Too many attempts"
    retry_after = headers.get("Retry-After") if headers else None
    staff = None
    if status != 429 and "session" in request.scope:
        staff = signed_in_staff(request)
    response = render(
        request,
        "error.html",
        {"heading": heading, "message": message, "retry_after": retry_after},
        status_code=status,
        staff=staff,
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WardSafeError)
    async def domain_error(request: Request, exc: WardSafeError) -> Response:
        status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)
        return _error(request, status, str(exc))

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> Response:
        message = "Too many attempts from your network in a short time."
        return _error(request, 429, message, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        message = "This form has expired or did not come from this site. Go back, reload the page and try again."
        return _error(request, 403, message)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse(request.app.url_path_for("login_form") + f"?next={request.url.path}", 303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and message == "Not Found":
            message = "There is no page at this address."
        return _error(request, exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            body = {"detail": "some of what was sent is not valid", "errors": jsonable_errors(exc)}
            return JSONResponse(body, status_code=422)
        return _error(request, 422, "Some of what was sent could not be read. Go back and check the form.")


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    """Validation errors without the submitted values (which may be personal details)."""
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
