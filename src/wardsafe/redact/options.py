"""What a user can ask of a redaction run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

FilterKind = Literal["blur", "pixelate", "solid"]
FILTER_KINDS: tuple[str, ...] = get_args(FilterKind)
# What of the written text in a picture is hidden: identifiers only, every word, or none.
TextMode = Literal["identifiers", "all", "none"]
TEXT_MODES: tuple[str, ...] = get_args(TextMode)
# How spoken identifiers are hidden: a 1 kHz tone, silence, not at all, or the whole sound track silenced.
AudioMode = Literal["bleep", "mute", "keep", "mute-all"]
AUDIO_MODES: tuple[str, ...] = get_args(AudioMode)


@dataclass(frozen=True)
class Cut:
    """A part someone asked to be cut: from ``start_s`` to ``end_s`` (seconds) the picture is blacked out and
    the sound silenced, or with ``region`` (x0, y0, x1, y1 as shares 0..1 of the width and height) only
    that region is blacked out. The copy keeps its length, so times in its report stay true."""

    start_s: float
    end_s: float
    region: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class RedactOptions:
    """Options of one redaction run (the CLI and the web fill these in)."""

    filter: FilterKind = "blur"
    # Detection score above which a face is hidden; None uses the detector's tuned default.
    threshold: float | None = None
    # Person ids to leave visible (the patient's own face), as numbered by a ``plan`` run of the same input.
    keep: frozenset[int] = field(default_factory=frozenset)
    # Run face detection on every ``stride``-th frame; tracks fill the frames between.
    # With close-up searches for missed faces, 5 keeps every face of the 720p benchmark clip covered.
    stride: int = 5
    # Long side, in pixels, of the frame copy that video face detection runs on.
    detect_long_side: int = 960
    # Frames a track is carried before its first and after its last detection. 10 (not 6): on the 1080p
    # crowd clip a 20 px face reappearing from behind another was readable on 5 frames at 6, on 1 at 10.
    pad_frames: int = 10
    # A face missed by detection for up to this long is still the same track (and stays hidden).
    max_gap_s: float = 1.0
    # Written identifiers (text stage) and spoken ones (speech stage).
    text: TextMode = "identifiers"
    audio: AudioMode = "bleep"
    # Names to hide wherever they are written or said, in full or in part (staff who asked not to be
    # identifiable), and names to leave readable (the patient's own); plain strings, e.g. from a permit.
    hide_names: tuple[str, ...] = ()
    keep_names: tuple[str, ...] = ()
    # Parts staff asked to be cut before release (see :class:`Cut`).
    cuts: tuple[Cut, ...] = ()
