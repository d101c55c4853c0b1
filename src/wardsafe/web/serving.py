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


def run_server(app: FastAPI, host: str, port: int) -> None:
    """Serves ``app`` until interrupted."""
    config = uvicorn.Config(app, host=host, port=port, proxy_headers=True, server_header=False)
    server = uvicorn.Server(config)
    # uvicorn sets up its loggers when the server is configured; add the filter after that.
    config.configure_logging()
    logging.getLogger("uvicorn.access").addFilter(HideTokensFilter())
    server.run()
