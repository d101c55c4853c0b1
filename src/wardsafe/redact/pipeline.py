"""One redaction job, from input file to output, report and (for a plan) contact sheet.

Everything a job writes goes through :func:`atomic_output`, and the output is checked before it
is published (frame count, no identifying metadata), so a file that exists is a finished,
fully redacted file; on any failure nothing is left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardsafe.detect.seam import Detectors
from wardsafe.errors import InputError, RedactionError
from wardsafe.media.atomic import atomic_output
from wardsafe.media.image import image_metadata
from wardsafe.media.kinds import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from wardsafe.media.metadata import identifying_tags, video_metadata
from wardsafe.media.probe import MediaInfo, probe
from wardsafe.media.video import AudioEdit
from wardsafe.redact.appearance import AppearanceBook
from wardsafe.redact.audio_job import redact_audio_job, video_sound
from wardsafe.redact.contact_sheet import write_contact_sheet
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.options import RedactOptions
from wardsafe.redact.people import group_people, tracks_for_people
from wardsafe.redact.photo import redact_photo
from wardsafe.redact.report import build_report, write_report
from wardsafe.redact.result import RedactionResult
from wardsafe.redact.video import Progress, redact_video


@dataclass
class JobOutcome:
    """What a finished job produced."""

    info: MediaInfo
    result: RedactionResult
    report: dict[str, Any]
    written: list[Path]
    found: RedactionResult | None = None  # with_plan: the finding run (people, their thumbnails)


def check_output_suffix(kind: str, output: Path) -> None:
    """The output format follows the output's suffix, which must suit the input's kind."""
    allowed = IMAGE_SUFFIXES if kind == "image" else VIDEO_SUFFIXES
    if output.suffix.lower() not in allowed:
        what = "a photo" if kind == "image" else "a video"
        raise InputError(f"{output.name}: cannot write {what} as '{output.suffix or 'no extension'}'; "
                         f"use one of {', '.join(sorted(allowed))}")


def identifying_metadata(path: Path, kind: str) -> list[str]:
    """Names (never values) of the identifying metadata a file carries."""
    if kind == "image":
        found = image_metadata(path)
        names: list[str] = []
        for key, value in sorted(found.items()):
            if isinstance(value, dict):
                names.extend(f"{key}:{name}" for name in sorted(value))
            else:
                names.append(key)
        return names
    return sorted(identifying_tags(video_metadata(path)))


def run_job(
    source: Path,
    paths: JobPaths,
    detectors: Detectors,
    options: RedactOptions,
    plan: bool = False,
    progress: Progress | None = None,
    with_plan: bool = False,
) -> JobOutcome:
    """Redacts (or, with ``plan``, only plans) one file. Raises a WardSafeError on any failure.

    ``with_plan`` redacts and also writes the plan files (people numbered, with thumbnails) from the same
    detections: one detection pass where a plan and then a redaction would take two."""
    info = probe(source)
    if info.kind == "audio":
        if plan:
            raise InputError(f"{source.name}: --plan numbers the people in photos and videos; an audio file has none")
        return JobOutcome(info, *redact_audio_job(source, info, paths, detectors, options))
    if info.kind == "video" and info.video_codec is None:
        raise InputError(f"{source.name}: has no video track")
    if plan:
        return _plan(source, info, paths, detectors, options, progress)
    check_output_suffix(info.kind, paths.output)
    if paths.output.resolve() == source.resolve():
        raise InputError(f"{source.name}: output would overwrite the input; choose another name or folder")
    removed = identifying_metadata(source, info.kind)
    # Spoken identifiers are found before the first frame is written; the writer bleeps them.
    sound = video_sound(source, info, detectors, options) if info.kind == "video" else None
    with atomic_output(paths.report) as report_tmp, atomic_output(paths.output) as out_tmp:
        edit = sound.hider() if sound is not None else None
        found = None
        if options.keep or with_plan:
            result, found = _keep_people(source, out_tmp, info, detectors, options, progress, edit,
                                         want_thumbnails=with_plan)
            if with_plan:
                _write_plan(info, found, options, detectors, paths)
        elif info.kind == "image":
            result = redact_photo(source, out_tmp, detectors, options)
        else:
            result = redact_video(source, out_tmp, detectors, options, progress, audio_edit=edit)
        _verify_output(out_tmp, info.kind, result)
        report = build_report(info, result, options, detectors, paths.output, removed)
        if sound is not None:
            report["audio"] = sound.report()
        write_report(report, report_tmp)
    written = [paths.output, paths.report] + ([paths.plan_json, paths.plan_sheet] if with_plan else [])
    return JobOutcome(info, result, report, written, found)


def _plan(
    source: Path, info: MediaInfo, paths: JobPaths, detectors: Detectors, options: RedactOptions,
    progress: Progress | None,
) -> JobOutcome:
    result = _find_people(source, info, detectors, options, progress, want_thumbnails=True)
    report = _write_plan(info, result, options, detectors, paths)
    return JobOutcome(info, result, report, [paths.plan_json, paths.plan_sheet])


def _write_plan(
    info: MediaInfo, found: RedactionResult, options: RedactOptions, detectors: Detectors, paths: JobPaths
) -> dict[str, Any]:
    """Writes the plan files (report of the people found, contact sheet) of a finding run; returns the report."""
    report = build_report(info, found, options, detectors, None, [])
    with atomic_output(paths.plan_json) as json_tmp, atomic_output(paths.plan_sheet) as sheet_tmp:
        write_report(report, json_tmp)
        write_contact_sheet(found, sheet_tmp, found.people)
    return report


def _find_people(
    source: Path, info: MediaInfo, detectors: Detectors, options: RedactOptions, progress: Progress | None,
    want_thumbnails: bool = False,
) -> RedactionResult:
    """Finds and tracks without rendering, and groups the face tracks into people (``result.people``)."""
    if info.kind == "image":
        result = redact_photo(source, None, detectors, options, want_thumbnails=want_thumbnails)
    else:
        book = AppearanceBook()
        result = redact_video(source, None, detectors, options, progress, want_thumbnails=want_thumbnails,
                              appearances=book)
    result.people = group_people(result.tracks, book if info.kind == "video" else None,
                                 result.fps if info.kind == "video" else None)
    return result


def _keep_people(
    source: Path, target: Path, info: MediaInfo, detectors: Detectors, options: RedactOptions,
    progress: Progress | None, audio_edit: AudioEdit | None = None, want_thumbnails: bool = False,
) -> tuple[RedactionResult, RedactionResult]:
    """Redacts leaving the people ``options.keep`` visible: numbers the people as a plan does, then renders.
    Returns the redaction's result and the finding run's (people, thumbnails).

    People are known only once the whole video has been tracked, so a video is read twice: first to
    find and group (as ``--plan`` does, so the ids mean what the plan showed), then to render with the
    detections of the first reading replayed (the same tracks, no detection again).
    """
    halves = None
    if progress is not None:
        def first(done: int, expected: int) -> None:
            progress(done, 2 * expected)

        def second(done: int, expected: int) -> None:
            progress(expected + done, 2 * expected)

        halves = (first, second)
    found = _find_people(source, info, detectors, options, halves[0] if halves else None, want_thumbnails)
    try:
        keep = tracks_for_people(found.people, options.keep)
    except ValueError as exc:
        raise InputError(f"{source.name}: --keep: {exc}") from None
    others = frozenset(t for p in found.people if p.id not in options.keep for t in p.track_ids)
    if info.kind == "image":
        result = redact_photo(source, target, detectors, options, keep=keep, replay=found.tracks, others=others)
    else:
        result = redact_video(source, target, detectors, options, halves[1] if halves else None, keep=keep,
                              replay=found.recording, others=others, audio_edit=audio_edit)
    result.people, result.kept_tracks = found.people, keep
    # the job's time is both readings'
    result.timings = {k: found.timings.get(k, 0.0) + result.timings.get(k, 0.0) for k in found.timings | result.timings}
    return result, found


def _verify_output(path: Path, kind: str, result: RedactionResult) -> None:
    """Refuses to publish an output that lost frames or still carries identifying metadata."""
    leftover = identifying_metadata(path, kind)
    if leftover:
        raise RedactionError(f"output still carries metadata ({', '.join(leftover)}); nothing was written")
    if kind == "video":
        written = probe(path)
        if written.frames is not None and written.frames != result.frames:
            raise RedactionError(
                f"output has {written.frames} frames but {result.frames} were redacted; nothing was written"
            )
