"""Policy parsing: the shipped policy is valid and follows NHS rules; every problem is reported with its line."""

from __future__ import annotations

import pytest

from wardsafe.permits.errors import NotFound, PolicyError
from wardsafe.permits.model import AreaKind, Condition, Media, Purpose, Verdict
from wardsafe.permits.policy import parse_policy
from wardsafe.store.policy_source import default_policy_text

GOOD = """\
version: 1
trust:
  name: Test Trust
  timezone: Europe/London
areas:
  - id: bay-1
    name: Bay 1
    kind: ward_bay
    media: {photo: needs_decision}
    purposes: {family: allowed}
"""


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    return [(p.line, p.message) for p in caught.value.problems]


def test_default_policy_follows_common_nhs_rules() -> None:
    policy = parse_policy(default_policy_text())
    assert policy.timezone == "Europe/London"
    assert {Condition.NO_OTHER_PATIENTS, Condition.STAFF_MAY_VIEW} <= policy.default_conditions
    for area in policy.areas:
        if area.kind in (AreaKind.WAITING_AREA, AreaKind.PUBLIC_AREA):
            assert set(area.media.values()) == {Verdict.NEVER}, area.id
        # Filming of care always needs every member of staff to agree.
        assert area.media[Media.VIDEO] in (Verdict.NEVER, Verdict.NEEDS_DECISION), area.id
    consult = [a for a in policy.areas if a.kind is AreaKind.CONSULTATION_ROOM]
    assert consult and consult[0].purposes[Purpose.CONSULTATION_AUDIO] is Verdict.ALLOWED
    assert Condition.NOTICE_BEFORE_RECORDING in consult[0].conditions


def test_a_minimal_policy_parses_and_unnamed_things_are_never_allowed() -> None:
    policy = parse_policy(GOOD)
    area = policy.area("bay-1")
    assert area.media == {Media.PHOTO: Verdict.NEEDS_DECISION, Media.VIDEO: Verdict.NEVER, Media.AUDIO: Verdict.NEVER}
    assert area.purposes[Purpose.FAMILY] is Verdict.ALLOWED and area.purposes[Purpose.SOCIAL_MEDIA] is Verdict.NEVER
    assert area.permit_hours == policy.permit_hours == 8
    with pytest.raises(NotFound):
        policy.area("bay-2")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD.replace("Europe/London", "Mars/Olympus"), 4, "unknown time zone 'Mars/Olympus'"),
        (GOOD.replace("kind: ward_bay", "kind: lobby"), 8, "'lobby' is not one of"),
        (GOOD.replace("photo: needs_decision", "photo: maybe"), 9, "areas[1].media.photo: 'maybe'"),
        (GOOD.replace("photo: needs", "hologram: needs"), 9, "unknown key 'hologram'"),
        (GOOD.replace("id: bay-1", "id: Bay 1"), 6, "lower-case letters"),
        (GOOD.replace("version: 1", "version: 2"), 1, "version must be 1"),
        (GOOD.replace("  name: Test Trust\n", ""), 2, "trust is missing 'name'"),
        (GOOD + "  - id: bay-1\n    name: Again\n    kind: ward_bay\n", 11, "duplicate area id 'bay-1'"),
        (GOOD + "defaults: {permit_hours: 0}\n", 11, "defaults.permit_hours must be between 1"),
        (GOOD + "defaults: {conditions: [no_selfies]}\n", 11, "'no_selfies' is not one of"),
        (GOOD + "administration: {governance_roles: [king]}\n", 11, "'king' is not one of: staff, manager, admin"),
        (GOOD + "areas: []\n", 11, "duplicate key 'areas'"),
        ("trust: {name: T, timezone: UTC}\nareas: []\n", 2, "areas must be a non-empty list"),
        ("trust: [a\nareas: x\n", 2, "not valid YAML"),
        ("", 1, "the policy is empty"),
        ("- just\n- a list\n", 1, "must be a mapping"),
    ],
)
def test_each_problem_names_its_line(text: str, line: int, fragment: str) -> None:
    found = problems(text)
    assert any(number == line and fragment in message for number, message in found), found


def test_all_problems_are_reported_at_once_in_line_order() -> None:
    text = GOOD.replace("Europe/London", "Nowhere/Zone").replace("kind: ward_bay", "kind: lobby")
    found = problems(text)
    assert [line for line, _ in found] == [4, 8]
    with pytest.raises(PolicyError, match=r"line 4: .* \(and 1 more\)"):
        parse_policy(text)
