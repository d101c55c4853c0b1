"""The retention sweep: originals kept past the policy's ``retention_days`` are deleted (audited)."""

from __future__ import annotations

import logging
import threading

from wardsafe.jobs.files import delete_files, delete_original
from wardsafe.jobs.run import worker_name
from wardsafe.store.recordings import RecordingsPart

log = logging.getLogger("wardsafe.jobs")
SWEEP_EVERY_S = 3600.0


def sweep(service: RecordingsPart) -> int:
    """Deletes expired originals (and every file of recordings never released); returns how many files."""
    doomed = service.expired_originals(worker_name())
    delete_original(doomed)
    delete_files(doomed)
    return len(doomed)


def start_sweeping(service: RecordingsPart, every_s: float = SWEEP_EVERY_S) -> threading.Event:
    """Sweeps now and then every ``every_s`` seconds on a daemon thread; set the returned event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                sweep(service)
            except Exception as exc:  # noqa: BLE001 - the next sweep tries again
                log.error("retention sweep failed: %s", type(exc).__name__)
            if stop.wait(every_s):
                return

    threading.Thread(target=loop, name="wardsafe-retention", daemon=True).start()
    return stop
