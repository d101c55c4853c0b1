"""The default queue: a pool of threads inside the `wardsafe serve` process."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from wardsafe.jobs.run import run_recording, worker_name
from wardsafe.store.recordings import RecordingsPart

log = logging.getLogger("wardsafe.jobs")


class LocalQueue:
    """Runs jobs on ``workers`` threads of this process. On start, jobs a stopped server left running
    are queued again (their partial outputs were never published) and every queued job is run."""

    def __init__(self, service: RecordingsPart, workers: int = 1) -> None:
        self.service = service
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="wardsafe-job")

    def start(self) -> None:
        """Resumes the jobs the database holds as queued or running."""
        for recording_id in self.service.requeue_running(worker_name()):
            self.submit(recording_id)

    def submit(self, recording_id: str) -> None:
        """Queues one job."""
        self._pool.submit(self._run, recording_id)

    def _run(self, recording_id: str) -> None:
        try:
            run_recording(self.service, recording_id)
        except Exception as exc:  # noqa: BLE001 - a worker thread must survive any one job
            log.error("job %s stopped: %s", recording_id, type(exc).__name__)
            self.service.fail_job(recording_id, worker_name(), "the job stopped unexpectedly; please upload again")

    def stop(self) -> None:
        """Waits for running jobs to finish; queued ones stay queued in the database."""
        self._pool.shutdown(wait=True, cancel_futures=True)
