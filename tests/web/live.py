"""A real uvicorn server on a free loopback port, in a thread, for browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from wardsafe.web.serving import uvicorn_config


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(app: FastAPI, trusted_proxies: str = "") -> Iterator[str]:
    """Serves ``app`` with the settings ``wardsafe serve`` uses until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn_config(app, "127.0.0.1", port, trusted_proxies)
    config.log_level, config.lifespan = "warning", "off"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="wardsafe-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
