"""The one factory of detectors: builds, once per process, what a redaction job runs.

The CLI, the demo and (later) the job workers call :func:`build_detectors` and hand the result to
the engine, which never loads a model itself. Models and their precision come from the settings
(``WARDSAFE_FACE_MODEL``, ``WARDSAFE_VIDEO_PRECISION``); what to look for comes from the options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wardsafe.config import get_settings
from wardsafe.detect.face_regions import FaceRegions, SmallFaces
from wardsafe.detect.faces import check_precision, load_face_detector
from wardsafe.detect.seam import Detectors, RegionDetector, SpeechDetector
from wardsafe.redact.options import RedactOptions

if TYPE_CHECKING:
    from wardsafe.detect.speech import WhisperSpeech

# BlazeFace models that confirm CenterFace's unsure candidates on photos (see wardsafe.detect.blazeface).
SECOND_OPINION_VARIANTS = ("short", "full")
# Every 3rd key frame (15 frames at stride 5). Between readings the tracker carries word boxes with the camera's
# motion (wardsafe.redact.camera_motion): before that, a word on a pan moved further than its own width between
# readings, its next reading started a new track and the old one stayed put, so identifiers showed for up to
# 10 frames (tests/text/test_text_video.py), and text had to be read on every key frame (3x the faces-only time).
TEXT_CADENCE = 3


def build_speech_detector(options: RedactOptions) -> WhisperSpeech:
    """The speech detector (Whisper, loaded once per process) with the run's names to hide and to keep;
    also what ``wardsafe transcribe`` uses on its own."""
    from wardsafe.detect.speech import WhisperSpeech, load_speech_model
    from wardsafe.identifiers import get_analyzer

    get_analyzer()  # the name model that matching uses loads here too, before any file is touched
    return WhisperSpeech(load_speech_model(), options.hide_names, options.keep_names)


def build_detectors(options: RedactOptions) -> Detectors:
    """The detectors a job with ``options`` runs: faces today (text and speech plug in here).

    A missing or corrupt model, or a bad setting, raises :class:`wardsafe.errors.ConfigError` here,
    before any file is touched.
    """
    settings = get_settings()
    precision = check_precision(settings.video_model_precision)
    faces = FaceRegions(load_face_detector(), precision=precision, threshold=options.threshold,
                        long_side=options.detect_long_side, second_opinion=SECOND_OPINION_VARIANTS)
    speech: list[SpeechDetector] = [build_speech_detector(options)] if options.audio in ("bleep", "mute") else []
    regions: list[RegionDetector] = [faces, SmallFaces(faces)]
    if options.text != "none":
        regions.append(build_text_detector(options))
    return Detectors(regions=regions, speech=speech)


def build_text_detector(options: RedactOptions) -> RegionDetector:
    """The OCR text detector for ``options.text`` with the names to hide and keep (models loaded once)."""
    from wardsafe.detect.ocr_engine import get_engine  # loads ONNX Runtime sessions: only when text is on
    from wardsafe.detect.text_regions import TextRegions
    from wardsafe.identifiers import get_analyzer

    get_analyzer()  # the name model loads here, before any file is touched (a bad one fails the job up front)

    # Video: text is read on every TEXT_CADENCE-th key frame; the tracker carries word boxes in between.
    return TextRegions(get_engine(), options.text, options.hide_names, options.keep_names, cadence=TEXT_CADENCE)
