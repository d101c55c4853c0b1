"""Running the app under uvicorn, with access logs that never show a patient's secret link."""

from __future__ import annotations

import logging
import re

import uvicorn
from fastapi import FastAPI

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
