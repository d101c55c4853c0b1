"""Web security pieces: the session secret, CSRF tokens, per-IP rate limits and request size limits.

Sessions themselves are Starlette's signed-cookie ``SessionMiddleware`` (itsdangerous); this module
only supplies the secret it signs with and the checks that sit beside it.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wardsafe.config import kept_secret

SECRET_ENV = "WARDSAFE_SECRET_KEY"
SECRET_FILE_NAME = "session-secret"
CSRF_HEADER = "x-csrf-token"


def load_secret(data_dir: Path, from_env: str | None) -> str:
    """The key that signs session ids and CSRF tokens: ``from_env`` (``WARDSAFE_SECRET_KEY``), else a
    random one kept in the data folder (mode 0600), so that sessions survive a restart of the server."""
    return kept_secret(data_dir, SECRET_FILE_NAME, from_env, SECRET_ENV)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The CSRF token bound to this browser session, created on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_valid(session: MutableMapping[str, Any], submitted: str | None) -> bool:
    """Whether a submitted token matches the session's (compared in constant time)."""
    expected = session.get("csrf")
    if not isinstance(expected, str) or not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


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
            await _too_large(send)
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
                await _too_large(send)
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


async def _too_large(send: Send) -> None:
    body = b"Request too large.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
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
    """Adds headers that keep pages from being framed, sniffed or leaking their unguessable URLs."""

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
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)
