"""Scale-out queue: the same job function on Celery workers with a Redis broker
(``WARDSAFE_QUEUE=celery``, ``WARDSAFE_REDIS_URL``). Workers on other machines share the PostgreSQL
database and the media folder (``WARDSAFE_DATA_DIR`` on a shared mount); see docs/share.md.

Run a worker: ``celery -A wardsafe.jobs.celery_queue worker --concurrency 1``.
"""

from __future__ import annotations

import os
import threading

from celery import Celery

from wardsafe.jobs.run import run_recording
from wardsafe.store.service import PermissionService

REDIS_URL = os.environ.get("WARDSAFE_REDIS_URL", "redis://127.0.0.1:6379/0")

app = Celery("wardsafe", broker=REDIS_URL)
# A job is acknowledged when it ends, so a worker killed mid-job leaves it for another worker to retry.
app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
                task_ignore_result=True, broker_connection_retry_on_startup=True)

_SERVICE: PermissionService | None = None
_LOCK = threading.Lock()


def _service() -> PermissionService:
    """This worker process's service (from the WARDSAFE_* settings), opened once."""
    global _SERVICE
    with _LOCK:
        if _SERVICE is None:
            _SERVICE = PermissionService.from_settings()
        return _SERVICE


@app.task(name="wardsafe.redact_recording")
def redact_recording(recording_id: str) -> str:
    """Runs one recording's job on this worker; returns its final state."""
    service = _service()
    view = service.job_view(recording_id)
    if view.state == "running":  # redelivered after a worker was lost mid-job: run it again
        service.requeue_running("celery", only=recording_id)
    return run_recording(service, recording_id)


class CeleryQueue:
    """Sends jobs to the Celery workers (the web server runs none itself)."""

    def submit(self, recording_id: str) -> None:
        """Queues one job on the broker."""
        redact_recording.delay(recording_id)
