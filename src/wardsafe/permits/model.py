"""The vocabulary of permissions: media, purposes, rule verdicts, decisions, request states, conditions."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Media(StrEnum):
    """What the patient wants to record."""

    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"


class Purpose(StrEnum):
    """Why the patient wants to record."""

    PERSONAL_RECORD = "personal_record"
    FAMILY = "family"
    SOCIAL_MEDIA = "social_media"
    CONSULTATION_AUDIO = "consultation_audio"


class Verdict(StrEnum):
    """What an area's policy says about a medium or a purpose. Ordered from most to least permissive."""

    ALLOWED = "allowed"
    NEEDS_DECISION = "needs_decision"
    NEVER = "never"


class AreaKind(StrEnum):
    """Kinds of places in a hospital; waiting and public areas never allow recording in the default policy."""

    TREATMENT_ROOM = "treatment_room"
    WARD_BAY = "ward_bay"
    SIDE_ROOM = "side_room"
    CONSULTATION_ROOM = "consultation_room"
    SCANNER_ROOM = "scanner_room"
    THEATRE = "theatre"
    WAITING_AREA = "waiting_area"
    PUBLIC_AREA = "public_area"


class DecisionKind(StrEnum):
    """A staff member's own answer to a request."""

    AGREE = "agree"
    AGREE_IF_UNIDENTIFIABLE = "agree_if_unidentifiable"
    DECLINE = "decline"


class RequestState(StrEnum):
    """Where a recording request stands. EXPIRED is derived from the clock, never stored."""

    REFUSED = "refused"  # the policy never allows it; final
    PENDING = "pending"  # waiting for staff decisions
    DECLINED = "declined"  # every staff member involved declined; final
    PERMITTED = "permitted"  # a permit is in force
    USED = "used"  # the permit was used for publishing; can no longer be withdrawn
    WITHDRAWN = "withdrawn"  # a staff member withdrew before use; final
    CANCELLED = "cancelled"  # the patient cancelled; final
    EXPIRED = "expired"  # the permit (or the wait for decisions) ran out; final


FINAL_STATES = frozenset(
    {
        RequestState.REFUSED,
        RequestState.DECLINED,
        RequestState.WITHDRAWN,
        RequestState.CANCELLED,
        RequestState.EXPIRED,
        RequestState.USED,
    }
)


class Condition(StrEnum):
    """A condition a permit carries. The redaction engine and staff read them; the card shows their text."""

    NO_OTHER_PATIENTS = "no_other_patients"
    NO_SCREENS_OR_RECORDS = "no_screens_or_records"
    STAFF_MAY_VIEW = "staff_may_view"
    STAFF_UNIDENTIFIABLE = "staff_unidentifiable"  # some staff must have face and badge hidden
    DECLINED_STAFF_NOT_RECORDED = "declined_staff_not_recorded"  # staff who declined are left out of it
    NO_PUBLISHING = "no_publishing"  # for personal record or family only; not for social media
    NOTICE_BEFORE_RECORDING = "notice_before_recording"  # tell everyone present before starting
    REDACT_BEFORE_SHARING = "redact_before_sharing"  # pass the recording through WardSafe before sharing


CONDITION_TEXT: dict[Condition, str] = {
    Condition.NO_OTHER_PATIENTS: "No other patient, visitor or their belongings may be in shot or heard.",
    Condition.NO_SCREENS_OR_RECORDS: "No screens, whiteboards or written records may be in shot.",
    Condition.STAFF_MAY_VIEW: "Staff may ask to see the recording, and may ask for parts to be deleted.",
    Condition.STAFF_UNIDENTIFIABLE: "Some staff must not be identifiable: their face and name badge must be hidden.",
    Condition.DECLINED_STAFF_NOT_RECORDED: (
        "Staff who declined must not be recorded, seen or heard; if they are caught by accident, they must be hidden."
    ),
    Condition.NO_PUBLISHING: "For your own record and family only: not to be posted publicly.",
    Condition.NOTICE_BEFORE_RECORDING: "Tell everyone present before you start recording.",
    Condition.REDACT_BEFORE_SHARING: "Pass the recording through WardSafe before sharing it.",
}


@dataclass(frozen=True)
class Conditions:
    """The conditions of a permit: condition codes, and which staff (usernames) must be unidentifiable.

    Conditions only ever add up: combining is a union, so the result is the strictest of its parts.
    """

    codes: frozenset[Condition] = field(default_factory=frozenset)
    unidentifiable_staff: frozenset[str] = field(default_factory=frozenset)

    def __or__(self, other: Conditions) -> Conditions:
        return Conditions(self.codes | other.codes, self.unidentifiable_staff | other.unidentifiable_staff)

    def sorted_codes(self) -> list[Condition]:
        """Codes in a stable order (the order of the Condition enum) for display and storage."""
        return [c for c in Condition if c in self.codes]
