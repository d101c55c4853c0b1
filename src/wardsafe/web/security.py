"""Web security pieces: server-side sessions, CSRF tokens, per-IP rate limits, request size limits,
security headers and plain 500s.

Sessions are kept on the server (``store.sessions``): the cookie holds only a random id. A CSRF token
is an HMAC of that id under the server's secret, so a visitor who has only read a form costs no row;
rows exist for signed-in staff and for a one-line message waiting for the next page.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import MutableMapping
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wardsafe.config import kept_secret
from wardsafe.store.service import PermissionService, StoredSession

SECRET_ENV = "WARDSAFE_SECRET_KEY"
SECRET_FILE_NAME = "session-secret"
CSRF_HEADER = "X-CSRF-Token"
SESSION_COOKIE = "wardsafe_session"


def load_secret(data_dir: Path, from_env: str | None) -> str:
    """The key that signs session ids and CSRF tokens: ``from_env`` (``WARDSAFE_SECRET_KEY``), else a
    random one kept in the data folder (mode 0600), so that sessions survive a restart of the server."""
    return kept_secret(data_dir, SECRET_FILE_NAME, from_env, SECRET_ENV)


SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class ServerSession(dict[str, Any]):
    """The session data of one request (``request.session``). Its id is drawn only when first needed
    (a CSRF token or stored data); ``clear()`` also drops the id, so signing in or out starts a new one."""

    def __init__(self, data: dict[str, Any], session_id: str | None, secret: bytes) -> None:
        super().__init__(data)
        self._id = session_id
        self._secret = secret
        self.modified = False
        self.cleared = False

    @property
    def id(self) -> str:
        """The session id (drawn now if this browser has none)."""
        if self._id is None:
            self._id = secrets.token_urlsafe(32)
        return self._id

    @property
    def current_id(self) -> str | None:
        """The id if one is in use, without drawing one."""
        return self._id

    def csrf(self) -> str:
        """The CSRF token bound to this session id."""
        return hmac.new(self._secret, b"csrf:" + self.id.encode(), hashlib.sha256).hexdigest()

    def __setitem__(self, key: str, value: Any) -> None:
        self.modified = True
        _ = self.id  # data needs an id to be kept under (e.g. after clear(), at sign-in)
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Sets several keys (each through ``__setitem__``)."""
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: str, default: Any = None) -> Any:
        """``self[key]``, set to ``default`` first if missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def __delitem__(self, key: str) -> None:
        self.modified = True
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        """Removes ``key`` (marking the session changed if it was there)."""
        if key in self:
            self.modified = True
        return super().pop(key, *default)

    def clear(self) -> None:
        """Empties the session and gives it a new id (the old session ends when the answer is sent)."""
        self.modified = self.cleared = True
        self._id = None
        super().clear()


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The CSRF token bound to this browser session (a page rendered without a session gets a throwaway one)."""
    if isinstance(session, ServerSession):
        return session.csrf()
    return secrets.token_urlsafe(32)


def csrf_valid(session: MutableMapping[str, Any], submitted: str | None) -> bool:
    """Whether a submitted token matches the session's (compared in constant time)."""
    if not isinstance(session, ServerSession) or session.current_id is None or not submitted:
        return False
    return hmac.compare_digest(session.csrf().encode(), submitted.encode())


class ServerSessionMiddleware:
    """Puts a ``ServerSession`` in ``scope["session"]``, loaded by the cookie's id, and stores it when
    the answer starts. The cookie is HttpOnly, Secure and SameSite=Lax, with no expiry of its own: the
    server ends sessions (``store.sessions``)."""

    def __init__(self, app: ASGIApp, service: PermissionService, secret: str, cookie: str, staff_key: str) -> None:
        self.app = app
        self.service = service
        self.secret = secret.encode()
        self.cookie = cookie
        self.staff_key = staff_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith("/static/"):
            await self.app(scope, receive, send)  # a style sheet needs no database read
            return
        sent_id = _cookie(scope, self.cookie)
        if sent_id is not None and not SESSION_ID.match(sent_id):
            sent_id = None
        stored = await run_in_threadpool(self.service.load_session, sent_id) if sent_id else None
        data = dict(stored.data) if stored else {}
        if stored is not None and stored.staff_id is not None:
            data[self.staff_key] = stored.staff_id
        session = ServerSession(data, sent_id, self.secret)
        scope["session"] = session

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = await run_in_threadpool(self._store, session, sent_id, stored)
                if cookie is not None:
                    headers = MutableHeaders(scope=message)
                    headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _store(self, session: ServerSession, sent_id: str | None, stored: StoredSession | None) -> str | None:
        """Writes what changed; returns the Set-Cookie value if the browser's cookie must change."""
        if session.cleared and sent_id is not None and stored is not None:
            self.service.end_session(sent_id)
        data = dict(session)
        staff_id = data.pop(self.staff_key, None)
        session_id = session.current_id
        if session_id is not None and (data or staff_id is not None):
            if session.modified or stored is None or session_id != sent_id:
                self.service.save_session(session_id, staff_id, data, renew=True)
            elif self.service.needs_touch(stored):
                self.service.save_session(session_id, staff_id, data, renew=False)
        elif stored is not None and session_id == sent_id and session.modified and session_id is not None:
            self.service.end_session(session_id)  # nothing left to keep (e.g. the message was shown)
        if session_id is not None and session_id != sent_id:
            return f"{self.cookie}={session_id}; Path=/; HttpOnly; Secure; SameSite=Lax"
        if session_id is None and sent_id is not None and session.cleared:
            return f"{self.cookie}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"
        return None


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                return None
            if name in jar:
                return jar[name].value
    return None


class SlidingWindowLimiter:
    """At most ``limit`` hits per key within the last ``window_s`` seconds (in-process, thread-safe).

    One server process keeps its own counts; behind several processes each gets the full allowance,
    which is acceptable for a brake on abuse rather than a quota.
    """

    def __init__(self, limit: int, window_s: float) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Counts one hit for ``key``; returns 0 when allowed, else the seconds until the next is allowed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window_s - now, 0.001)
            hits.append(now)
            # Drop idle keys now and then so memory stays bounded by the active clients.
            if len(self._hits) > 10_000:
                self._forget_idle(now)
            return 0.0

    def wait(self, key: str, now: float | None = None) -> float:
        """Like ``hit`` but counts nothing: 0 if a hit would be allowed now, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if hits is not None and len(hits) >= self.limit:
                return max(hits[0] + self.window_s - now, 0.001)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        idle = [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.window_s]
        for key in idle:
            del self._hits[key]


class BodySizeLimitMiddleware:
    """Answers 413 to any request whose body is larger than ``max_bytes``.

    The body is read (up to the limit) before the app runs, so an oversized chunked upload is
    refused cleanly rather than failing half-way through a handler.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _too_large(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, send: Send) -> None:
    if scope.get("path", "").startswith("/api/"):  # the API's one error shape
        body, kind = b'{"detail":"the request is too large"}', b"application/json"
    else:
        body, kind = b"Request too large.\n", b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SafeErrorsMiddleware:
    """Turns any unexpected exception into a plain 500 answer, logged by type and route only.

    Exception messages from deep down (a database error lists the values it tried to store) can
    carry what a patient typed; so the exception never reaches the server's traceback log.
    """

    HTML = (
        b'<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        b'<meta name="viewport" content="width=device-width, initial-scale=1">'
        b'<link rel="stylesheet" href="/static/style.css"><title>Something went wrong</title></head>'
        b'<body><main id="main"><h1>Something went wrong</h1><div class="error" role="alert"><p>'
        b"Something went wrong on our side. Nothing was changed; please try again.</p></div>"
        b'<p><a href="/">Back to the start</a></p></main></body></html>'
    )
    JSON = b'{"detail":"something went wrong on our side; nothing was changed"}'

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.log = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything, and say little
            route = getattr(scope.get("route"), "path", "?")
            self.log.error("unexpected %s on %s %s", type(exc).__name__, scope.get("method"), route)
            if started:
                return  # the answer was under way; the connection just ends
            is_api = scope.get("path", "").startswith("/api/")
            body, kind = (self.JSON, b"application/json") if is_api else (self.HTML, b"text/html; charset=utf-8")
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Adds headers that keep pages from being framed, sniffed, cached or leaking their unguessable URLs,
    to every answer (errors, 413s and 500s included). HSTS is sent when the request came over HTTPS."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        # Status links carry a secret in the path: never send it on as a referrer.
        (b"referrer-policy", b"no-referrer"),
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
    # Answers carry tokens (status links, CSRF tokens) and personal details: no cache may keep them. Only
    # the static files, which are the same for everyone, may be cached.
    NO_STORE = (b"cache-control", b"no-store")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.HEADERS)
        if scope.get("scheme") == "https":
            extra.append(self.HSTS)
        cacheable = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                if not cacheable and b"cache-control" not in present:
                    headers.append(self.NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
