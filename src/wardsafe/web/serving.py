"""Running the app under uvicorn, with access logs that never show a patient's secret link."""

from __future__ import annotations

import logging
import re

import uvicorn
from fastapi import FastAPI

from wardsafe.config import Settings
from wardsafe.errors import ConfigError
from wardsafe.store.service import PermissionService

# The token in /r/<token> and /api/requests/<token> is the patient's only key: keep it out of logs.
TOKEN_PATH = re.compile(r"^(/r/|/api/requests/)[^/?]+")


def hide_token(path: str) -> str:
    """``path`` with a patient token replaced by ``…``."""
    return TOKEN_PATH.sub(r"\1…", path)


class HideTokensFilter(logging.Filter):
    """Rewrites uvicorn access-log records so request paths carry no patient token."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access logs (client, method, path, http_version, status).
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], hide_token(args[2]), *args[3:])
        return True


def uvicorn_config(app: FastAPI, host: str, port: int, trusted_proxies: str = "") -> uvicorn.Config:
    """The server's settings. ``X-Forwarded-For`` and ``-Proto`` are believed only from the proxies in
    ``trusted_proxies`` (``WARDSAFE_TRUSTED_PROXIES``: comma-separated addresses, or ``*``); with none,
    the client's address is the connection's own, so nobody can pick the address rate limits count."""
    trusted = [address.strip() for address in trusted_proxies.split(",") if address.strip()]
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        server_header=False,
    )


def run_server(app: FastAPI, host: str, port: int, trusted_proxies: str = "") -> None:
    """Serves ``app`` until interrupted."""
    config = uvicorn_config(app, host, port, trusted_proxies)
    server = uvicorn.Server(config)
    # uvicorn sets up its loggers when the server is configured; add the filter after that.
    config.configure_logging()
    logging.getLogger("uvicorn.access").addFilter(HideTokensFilter())
    server.run()


def serve_with_jobs(settings: Settings, service: PermissionService, host: str, port: int) -> None:
    """Serves the app with its redaction jobs (`wardsafe serve` and `make run` alike): the in-process pool of
    ``WARDSAFE_JOB_WORKERS`` threads, or Celery workers elsewhere with ``WARDSAFE_QUEUE=celery``; and the
    hourly retention sweep. Jobs a stopped server left queued or running are resumed."""
    from wardsafe.jobs.local import LocalQueue
    from wardsafe.jobs.retention import start_sweeping
    from wardsafe.web import create_app

    queue: LocalQueue | None = None
    if settings.queue == "celery":
        from wardsafe.jobs.celery_queue import CeleryQueue

        app = create_app(settings, service=service, queue=CeleryQueue())
    elif settings.queue != "local":
        raise ConfigError(f"WARDSAFE_QUEUE must be local or celery, not {settings.queue!r}")
    else:
        queue = LocalQueue(service, settings.job_workers) if settings.job_workers else None
        app = create_app(settings, service=service, queue=queue)
    if queue is not None:
        queue.start()
    sweeping = start_sweeping(service)
    try:
        run_server(app, host, port, settings.trusted_proxies)
    finally:
        sweeping.set()
        if queue is not None:
            queue.stop()
