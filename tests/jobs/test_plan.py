"""The redaction plan a permit asks for (a pure function: no engine, no database)."""

from __future__ import annotations

import pytest

from wardsafe.jobs.plan import NotCovered, PermitFacts, plan_for
from wardsafe.permits.model import Condition, Media, Purpose


def _permit(media: set[Media], purpose: Purpose = Purpose.SOCIAL_MEDIA, **changes: object) -> PermitFacts:
    fields: dict[str, object] = {"media": frozenset(media), "purpose": purpose, "conditions": frozenset()}
    fields.update(changes)
    return PermitFacts(**fields)  # type: ignore[arg-type]


def test_every_face_hidden_except_the_people_kept_and_staff_names_hidden() -> None:
    permit = _permit({Media.VIDEO}, conditions=frozenset({Condition.STAFF_UNIDENTIFIABLE}),
                     unidentifiable_names=("Bob Jones", "Alice Smith", "Bob Jones"))  # fmt: skip
    plan = plan_for("video", permit, keep=frozenset({2}))
    assert plan.options.keep == frozenset({2})
    assert plan.options.hide_names == ("Alice Smith", "Bob Jones")
    assert plan.options.text == "identifiers" and plan.options.audio == "bleep"
    assert not plan.transcript
    assert plan_for("video", permit).options.keep == frozenset()  # nobody kept unless the patient says so


def test_screens_in_shot_hide_every_written_word() -> None:
    permit = _permit({Media.PHOTO}, conditions=frozenset({Condition.NO_SCREENS_OR_RECORDS}))
    assert plan_for("image", permit).options.text == "all"


def test_an_audio_only_permit_refuses_video_and_photos() -> None:
    permit = _permit({Media.AUDIO}, Purpose.CONSULTATION_AUDIO)
    for kind in ("video", "image"):
        with pytest.raises(NotCovered, match="covers audio only"):
            plan_for(kind, permit)
    assert plan_for("audio", permit).transcript  # consultation audio also gets a transcript


def test_audio_for_other_purposes_gets_no_transcript() -> None:
    assert not plan_for("audio", _permit({Media.AUDIO}, Purpose.FAMILY)).transcript
