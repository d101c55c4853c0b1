"""A worker killed with SIGKILL mid-job publishes nothing; the job is queued again and finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from wardsafe.jobs.files import recording_folder
from wardsafe.jobs.run import run_recording
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService

CLIP = Path(__file__).parents[1] / "fixtures" / "clip.mp4"
WORKER = """
import sys
from wardsafe.jobs.run import run_recording
from wardsafe.store.db import init_db
from wardsafe.store.policy_source import load_policy
from wardsafe.store.service import PermissionService
run_recording(PermissionService(init_db(sys.argv[1]), load_policy()), sys.argv[2])
"""


def test_killed_worker_leaves_no_output_and_the_job_finishes_on_retry(
    service: PermissionService, staff_ids: dict[str, int], seeded_url: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    created = service.create_request(NewRequest(
        area_id="radiotherapy-1", media=[Media.VIDEO], purpose=Purpose.FAMILY, patient_name="Sam",
        contact="07700 900123", staff=["alice"],
    ))  # fmt: skip
    service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)
    recording_id = service.new_recording_id()
    folder = recording_folder(tmp_path / "data", recording_id)
    original = folder / "original.mp4"
    original.write_bytes(CLIP.read_bytes())
    service.add_recording(created.token, recording_id, "video", str(original))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER, seeded_url[0], recording_id], env=env)
    deadline = time.monotonic() + 120
    while not any(".partial" in p.name for p in folder.iterdir()) and time.monotonic() < deadline:
        assert worker.poll() is None, "the worker finished before it could be killed"
        time.sleep(0.005)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert service.job_view(recording_id).state == "running"
    published = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert published <= {"original.mp4", "redacted.plan.json", "redacted.plan.png"}  # no redacted copy

    assert service.requeue_running("test") == [recording_id]  # what `wardsafe serve` does on start
    assert run_recording(service, recording_id) == "review"
    names = sorted(p.name for p in folder.iterdir() if ".plan.person-" not in p.name and ".plan.preview-" not in p.name)
    assert names == ["original.mp4", "redacted.mp4", "redacted.plan.json", "redacted.plan.png", "redacted.report.json"]
    assert service.job_view(recording_id).hidden["face"] >= 1
