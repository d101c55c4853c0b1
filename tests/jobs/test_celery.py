"""WARDSAFE_QUEUE=celery: a real redis-server and a real Celery worker process run a recording's job."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wardsafe.jobs import celery_queue
from wardsafe.jobs.files import recording_folder
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService

CLIP = Path(__file__).parents[1] / "fixtures" / "clip.mp4"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server (Debian's) on a free loopback port, nothing saved to disk."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed: run `make setup`", pytrace=False)
    port = _free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_celery_worker_runs_the_job(
    redis_url: str, service: PermissionService, staff_ids: dict[str, int], seeded_url: tuple[str, dict[str, int]],
    tmp_path: Path,
) -> None:
    created = service.create_request(NewRequest(
        area_id="radiotherapy-1", media=[Media.VIDEO], purpose=Purpose.FAMILY, patient_name="Sam",
        contact="07700 900123", staff=["alice"],
    ))  # fmt: skip
    service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)
    recording_id = service.new_recording_id()
    original = recording_folder(tmp_path / "data", recording_id) / "original.mp4"
    original.write_bytes(CLIP.read_bytes())
    service.add_recording(created.token, recording_id, "video", str(original))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "WARDSAFE_REDIS_URL": redis_url,
           "WARDSAFE_DATABASE_URL": seeded_url[0], "WARDSAFE_AUDIT_KEY": service.audit_key.decode(),
           "WARDSAFE_DATA_DIR": str(tmp_path / "worker")}  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wardsafe.jobs.celery_queue", "worker", "--pool", "solo",
         "--concurrency", "1", "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env,
    )  # fmt: skip
    try:
        celery_queue.app.conf.broker_url = redis_url  # this process sends; the worker process runs
        celery_queue.CeleryQueue().submit(recording_id)
        deadline = time.monotonic() + 180
        while service.job_view(recording_id).state in ("queued", "running") and time.monotonic() < deadline:
            assert worker.poll() is None, "the Celery worker stopped"
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(30)
    view = service.job_view(recording_id)
    assert view.state == "review", view
    assert view.output_path is not None and Path(view.output_path).is_file()
    assert view.hidden["face"] >= 1
    assert service.audit_verify().ok
