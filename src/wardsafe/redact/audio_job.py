"""Spoken identifiers in a job: an audio file redacted on its own, or a video's sound track found first.

Kept apart from :mod:`wardsafe.redact.pipeline`, which calls these two functions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from wardsafe.config import get_settings
from wardsafe.detect.seam import Detectors, Span
from wardsafe.errors import InputError, RedactionError
from wardsafe.media.atomic import atomic_output
from wardsafe.media.audio import check_track, reason, wav_missing_bytes
from wardsafe.media.metadata import identifying_tags, video_metadata
from wardsafe.media.probe import MediaInfo
from wardsafe.redact.audio import AudioOutcome, SampleHider, redact_audio_file, spans_to_hide
from wardsafe.redact.audio_spans import Heard
from wardsafe.redact.cuts import cut_spans
from wardsafe.redact.job_paths import JobPaths
from wardsafe.redact.options import AudioMode, RedactOptions
from wardsafe.redact.report import build_report, write_report
from wardsafe.redact.result import RedactionResult

# An output whose length differs from the input's by more than this is refused (lossy codecs pad the last
# frame and add an encoder delay, which players skip: a few tens of milliseconds).
LENGTH_TOLERANCE_S = 0.1


def sound_facts(path: Path) -> tuple[int, float | None]:
    """Sample rate and duration of ``path``'s first sound track, checked to be one WardSafe can redact."""
    missing = wav_missing_bytes(path)
    if missing:
        raise InputError(f"{path.name}: file is truncated (at least {missing:,} bytes missing); "
                         "was the copy or download interrupted?")
    try:
        with av.open(str(path), metadata_errors="replace") as container:
            if not container.streams.audio:
                raise InputError(f"{path.name}: has no sound track")
            stream = container.streams.audio[0]
            check_track(path.name, stream)
            duration = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else (
                container.duration / av.time_base if container.duration else None)
            return stream.codec_context.sample_rate, duration
    except av.FFmpegError as exc:
        raise InputError(f"{path.name}: cannot be read ({reason(exc)})") from None


def redact_audio_job(
    source: Path, info: MediaInfo, paths: JobPaths, detectors: Detectors, options: RedactOptions
) -> tuple[RedactionResult, dict[str, Any], list[Path]]:
    """Redacts one audio file (and writes its report), all or nothing: (result, report, files written)."""
    if paths.output.resolve() == source.resolve():
        raise InputError(f"{source.name}: output would overwrite the input; choose another name or folder")
    sound_facts(source)
    removed = sorted(identifying_tags(video_metadata(source)))
    started = time.perf_counter()
    with atomic_output(paths.report) as report_tmp, atomic_output(paths.output) as out_tmp:
        outcome = redact_audio_file(source, out_tmp, detectors.speech, options.audio, get_settings().audio_pad_s,
                                    suffix=paths.output.suffix.lower(), silence=cut_spans(options.cuts))
        _check_length(source, out_tmp, outcome)
        result = RedactionResult(kind="audio", source=source, has_audio=True,
                                 timings={"total_s": time.perf_counter() - started})
        report = build_report(info, result, options, detectors, paths.output, removed)
        report["audio"] = outcome.report()
        write_report(report, report_tmp)
    return result, report, [paths.output, paths.report]


def _check_length(source: Path, written: Path, outcome: AudioOutcome) -> None:
    """Refuses an output whose sound is not as long as the input's (nothing is published)."""
    _, before = sound_facts(source)
    _, after = sound_facts(written)
    if before is not None and after is not None and abs(before - after) > LENGTH_TOLERANCE_S:
        raise RedactionError(f"{source.name}: redacted sound lasts {after:.2f} s, not {before:.2f} s; "
                             "nothing was written")


@dataclass
class VideoSound:
    """A video's sound track, heard before the first frame is written: what to hide in it and how."""

    mode: AudioMode
    rate: int
    pad_s: float
    spans: list[Span]
    heard: Heard | None
    models: list[dict[str, str]]
    silence: list[Span] = field(default_factory=list)  # parts cut on request
    last: SampleHider | None = None

    def hider(self) -> SampleHider | None:
        """A fresh editor of the track's frames, or None when the track can be copied as it is."""
        if not self.spans and not self.silence and self.mode != "mute-all":
            return None
        self.last = SampleHider(self.spans, self.rate, self.mode, self.silence)
        return self.last

    def report(self) -> dict[str, Any]:
        """The report's ``audio`` section (see :meth:`AudioOutcome.report`)."""
        duration = self.heard.duration_s if self.heard else 0.0
        return AudioOutcome(self.mode, self.pad_s, self.spans, self.heard, duration, 0.0,
                            self.last is not None, self.models).report()


def video_sound(source: Path, info: MediaInfo, detectors: Detectors, options: RedactOptions) -> VideoSound | None:
    """What to hide in ``source``'s sound track under ``options.audio`` (None when it has none or is kept)."""
    silence = cut_spans(options.cuts)
    if not info.has_audio or (options.audio == "keep" and not silence):
        return None
    rate, _ = sound_facts(source)
    pad = get_settings().audio_pad_s
    spans, heard = spans_to_hide(source, detectors.speech, options.audio, pad)
    models = [{"kind": d.kind, "name": d.model_name, "sha256": d.model_sha256} for d in detectors.speech]
    return VideoSound(options.audio, rate, pad, spans, heard, models if heard is not None else [], silence)
