"""The redaction plan a permit asks for: a pure function of the permit and the upload's kind (no I/O),
so that what a recording goes through can be tested apart from the engine and the queue."""

from __future__ import annotations

from dataclasses import dataclass

from wardsafe.errors import InputError
from wardsafe.permits.model import Condition, Media, Purpose
from wardsafe.redact.options import Cut, RedactOptions

# What the engine's probe calls a file, and the medium a permit names for it.
MEDIUM_OF_KIND: dict[str, Media] = {"image": Media.PHOTO, "video": Media.VIDEO, "audio": Media.AUDIO}


@dataclass(frozen=True)
class PermitFacts:
    """What of a permit decides the plan: its media, purpose, conditions and the display names of staff
    who asked not to be identifiable."""

    media: frozenset[Media]
    purpose: Purpose
    conditions: frozenset[Condition]
    unidentifiable_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class RedactionPlan:
    """The stages a recording goes through and their options."""

    options: RedactOptions
    transcript: bool  # consultation audio also gets a transcript (when the speech stage exists)


class NotCovered(InputError):
    """The upload is a kind of media the permit does not cover."""


def check_covered(kind: str, permit: PermitFacts) -> Media:
    """The permit's medium for a probed ``kind``; NotCovered when the permit does not allow it (an
    audio-only permit refuses video and photos)."""
    medium = MEDIUM_OF_KIND.get(kind)
    if medium is None or medium not in permit.media:
        allowed = ", ".join(sorted(m.value for m in permit.media))
        raise NotCovered(f"this permit covers {allowed} only; this file is {'a ' + kind if medium else 'not media'}")
    return medium


def plan_for(
    kind: str, permit: PermitFacts, keep: frozenset[int] = frozenset(), cuts: tuple[Cut, ...] = ()
) -> RedactionPlan:
    """The plan for a file of ``kind`` under ``permit``: every face hidden except the people kept,
    names of unidentifiable staff hidden in text and speech, identifiers always hidden, and the parts
    staff asked to be cut blacked out."""
    medium = check_covered(kind, permit)
    options = RedactOptions(
        keep=keep,
        cuts=cuts,
        # Screens and records in shot: every written word goes; otherwise identifiers only.
        text="all" if Condition.NO_SCREENS_OR_RECORDS in permit.conditions else "identifiers",
        audio="bleep",
        hide_names=tuple(sorted(set(permit.unidentifiable_names))),
    )
    transcript = medium is Media.AUDIO and permit.purpose is Purpose.CONSULTATION_AUDIO
    return RedactionPlan(options=options, transcript=transcript)
