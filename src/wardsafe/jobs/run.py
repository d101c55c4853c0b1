"""The one job function: redact one recording as its permit says. The in-process pool and Celery
workers both call :func:`run_recording`; detectors are built once per process and reused."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

from wardsafe.detect.seam import Detectors
from wardsafe.errors import WardSafeError
from wardsafe.jobs.files import output_path
from wardsafe.jobs.plan import plan_for
from wardsafe.media.atomic import remove_stale_partials
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.pipeline import run_job
from wardsafe.store.recordings import RecordingsPart

_DETECTORS: Detectors | None = None
_DETECTORS_LOCK = threading.Lock()
PROGRESS_EVERY_S = 1.0  # progress rows are written at most this often


def worker_name() -> str:
    """How audit rows name this worker: host and process."""
    return f"worker:{socket.gethostname()}:{os.getpid()}"


def detectors() -> Detectors:
    """This process's detectors, built on first use (models load once, not per job)."""
    global _DETECTORS
    with _DETECTORS_LOCK:
        if _DETECTORS is None:
            from wardsafe.detect.registry import build_detectors

            _DETECTORS = build_detectors(RedactOptions())
        return _DETECTORS


def run_recording(service: RecordingsPart, recording_id: str) -> str:
    """Runs the queued job ``recording_id`` to review or failed; returns its final state ("skipped"
    when another worker holds it). A crash leaves no output: the engine writes atomically."""
    worker = worker_name()
    job = service.start_job(recording_id, worker)
    if job is None or job.original_path is None:
        return "skipped"
    original = Path(job.original_path)
    try:
        plan = plan_for(job.kind, service.job_permit_facts(recording_id), frozenset(job.keep))
        output = output_path(original.parent, job.kind, original)
        paths = JobPaths.beside(output)
        for path in (paths.output, paths.report, paths.plan_json, paths.plan_sheet):
            remove_stale_partials(path)  # a worker killed mid-job left these; they were never published
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if total and now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                service.job_progress(recording_id, done / total)

        people = job.people
        if not people:
            # The first run finds the people (numbered as a plan numbers them, with a contact sheet of
            # thumbnails) so the patient can choose whom to keep; a re-render reuses those ids.
            found = run_job(original, paths, detectors(), plan.options, plan=True, progress=progress)
            people = sorted(person.id for person in found.result.people)
        outcome = run_job(original, paths, detectors(), plan.options, progress=progress)
    except WardSafeError as exc:
        service.fail_job(recording_id, worker, str(exc).splitlines()[0])
        return "failed"
    summary = outcome.report.get("summary", {})
    hidden = {"faces": int(summary.get("faces_hidden", 0))}
    service.finish_job(recording_id, worker, str(paths.output), str(paths.report), people, hidden)
    return "review"
