"""The one job function: redact one recording as its permit says. The in-process pool and Celery
workers both call :func:`run_recording`; detectors are built once per process and reused."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

from wardsafe.detect.seam import Detectors
from wardsafe.errors import WardSafeError
from wardsafe.jobs.files import output_path, transcript_path
from wardsafe.jobs.plan import plan_for
from wardsafe.media.atomic import remove_stale_partials
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.options import Cut, RedactOptions
from wardsafe.redact.pipeline import run_job
from wardsafe.redact.review_images import write_previews, write_thumbnails
from wardsafe.redact.transcript import write_transcript
from wardsafe.store.recordings import RecordingsPart, RecordingView

PROGRESS_EVERY_S = 1.0  # progress rows are written at most this often


def worker_name() -> str:
    """How audit rows name this worker: host and process."""
    return f"worker:{socket.gethostname()}:{os.getpid()}"


def detectors_for(options: RedactOptions) -> Detectors:
    """The detectors for one job's options (the permit's names to hide, its text mode). Models load once per
    process and are cached; only the light wrappers that carry the options are built per job."""
    from wardsafe.detect.registry import build_detectors

    return build_detectors(options)


def run_recording(service: RecordingsPart, recording_id: str) -> str:
    """Runs the queued job ``recording_id`` to review or failed; returns its final state ("skipped"
    when another worker holds it). A crash leaves no output: the engine writes atomically. A cut that
    staff asked for while the job ran is rendered at once, before the recording goes to review."""
    state = "queued"
    while state == "queued":
        state = _run_once(service, recording_id)
    return state


def _run_once(service: RecordingsPart, recording_id: str) -> str:
    worker = worker_name()
    job = service.start_job(recording_id, worker)
    if job is None or job.original_path is None:
        return "skipped"
    original = Path(job.original_path)
    try:
        plan = plan_for(job.kind, service.job_permit_facts(recording_id), frozenset(job.keep), _cuts(job))
        output = output_path(original.parent, job.kind, original)
        paths = JobPaths.beside(output)
        prefix = output.with_suffix("")  # review pictures are named after it (see review_images)
        for path in (paths.output, paths.report, paths.plan_json, paths.plan_sheet):
            remove_stale_partials(path)  # a worker killed mid-job left these; they were never published
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if total and now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                service.job_progress(recording_id, done / total)

        finders = detectors_for(plan.options)
        people = job.people
        # The first run also finds the people (numbered as a plan numbers them, with a thumbnail each) so the
        # patient can choose whom to keep, from the same detections; a re-render reuses those ids.
        first = not people and job.kind != "audio"
        outcome = run_job(original, paths, finders, plan.options, progress=progress, with_plan=first)
        if first and outcome.found is not None:
            people = sorted(person.id for person in outcome.found.people)
            write_thumbnails(outcome.found, prefix)
        if job.kind != "audio":
            write_previews(paths.output, outcome.report, prefix)
        if plan.transcript:
            from wardsafe.detect.registry import build_speech_detector

            write_transcript(original, transcript_path(original.parent), build_speech_detector(plan.options))
    except WardSafeError as exc:
        service.fail_job(recording_id, worker, str(exc).splitlines()[0])
        return "failed"
    view = service.finish_job(recording_id, worker, str(paths.output), str(paths.report), people,
                              hidden_counts(outcome.report), cuts_rendered=len(job.cuts))
    return view.state


def _cuts(job: RecordingView) -> tuple[Cut, ...]:
    """The cuts staff asked for, as the engine takes them."""
    cuts = []
    for c in job.cuts:
        region = c.get("region")
        box = (float(region[0]), float(region[1]), float(region[2]), float(region[3])) if region else None
        cuts.append(Cut(float(c["start_s"]), float(c["end_s"]), box))
    return tuple(cuts)


def hidden_counts(report: dict[str, Any]) -> dict[str, int]:
    """What a job hid, by kind: tracks of each detector's kind, spoken spans, parts cut."""
    hidden = {kind: counts["hidden"] for kind, counts in report["summary"]["by_kind"].items() if counts["hidden"]}
    hidden.setdefault("face", 0)
    spans = (report.get("audio") or {}).get("spans_hidden", [])
    if spans:
        hidden["speech"] = len(spans)
    cuts = report["options"].get("cuts", [])
    if cuts:
        hidden["cut"] = len(cuts)
    return hidden
