"""The request lifecycle as pure rules: exhaustive over states and events, property-based over decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardsafe.permits import lifecycle
from wardsafe.permits.errors import InvalidTransition, NotAllowed
from wardsafe.permits.lifecycle import TRANSITIONS, Event
from wardsafe.permits.model import FINAL_STATES, Condition, Conditions, DecisionKind, Media, Purpose, RequestState
from wardsafe.permits.model import Verdict as V
from wardsafe.permits.policy import parse_policy

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
STAFF = ["ana", "ben", "cy", "dee"]

POLICY = parse_policy(
    """
trust: {name: Test Trust, timezone: Europe/London}
defaults: {conditions: [no_other_patients], permit_hours: 6, request_hours: 12}
areas:
  - {id: bay, name: Bay, kind: ward_bay, media: {photo: allowed, video: needs_decision}, purposes: {family: allowed,
     social_media: needs_decision, consultation_audio: allowed}, conditions: [staff_may_view]}
  - {id: waiting, name: Waiting, kind: waiting_area}
"""
)


@pytest.mark.parametrize("state", list(RequestState))
@pytest.mark.parametrize("event", list(Event))
def test_every_state_event_pair_is_legal_or_refused_clearly(state: RequestState, event: Event) -> None:
    if (state, event) in TRANSITIONS:
        assert lifecycle.check_transition(state, event)
    else:
        with pytest.raises(InvalidTransition, match=f"cannot {event.value}: "):
            lifecycle.check_transition(state, event)


def test_final_states_allow_nothing_and_every_target_is_known() -> None:
    for (state, _event), targets in TRANSITIONS.items():
        assert state not in FINAL_STATES
        assert targets <= set(RequestState) - {RequestState.EXPIRED, RequestState.REFUSED}
    # A permit can always be withdrawn before it is used, and never after.
    assert (RequestState.PERMITTED, Event.WITHDRAW) in TRANSITIONS
    assert (RequestState.USED, Event.WITHDRAW) not in TRANSITIONS


@pytest.mark.parametrize(
    ("verdict", "state"), [(V.NEVER, "refused"), (V.NEEDS_DECISION, "pending"), (V.ALLOWED, "permitted")]
)
def test_initial_state_follows_the_verdict(verdict: V, state: str) -> None:
    assert lifecycle.initial_state(verdict) == RequestState(state)


decision_lists = st.lists(
    st.tuples(st.sampled_from(STAFF), st.sampled_from(list(DecisionKind))), min_size=1, max_size=12
)


# No wall-clock deadline: these pure tests are fast, but a shared 2-core machine can stall any example.
@settings(deadline=None)
@given(involved=st.lists(st.sampled_from(STAFF), min_size=1, max_size=4, unique=True), steps=decision_lists)
def test_decisions_follow_the_rules(involved: list[str], steps: list[tuple[str, DecisionKind]]) -> None:
    state, decisions = RequestState.PENDING, {}
    for staff, kind in steps:
        if state is not RequestState.PENDING:
            with pytest.raises((InvalidTransition, NotAllowed)):
                lifecycle.decide(state, involved, decisions, staff, kind)
            continue
        if staff not in involved:
            # Nobody decides unless involved, and a refused attempt changes nothing.
            with pytest.raises(NotAllowed):
                lifecycle.decide(state, involved, decisions, staff, kind)
            continue
        new_state, new_decisions = lifecycle.decide(state, involved, decisions, staff, kind)
        assert new_decisions[staff] is kind
        assert {k: v for k, v in new_decisions.items() if k != staff} == {
            k: v for k, v in decisions.items() if k != staff
        }
        everyone = set(involved) <= new_decisions.keys()
        all_declined = all(v is DecisionKind.DECLINE for v in new_decisions.values())
        # The request waits for everyone; then a permit covers whoever agreed, unless nobody did.
        if not everyone:
            assert new_state is RequestState.PENDING
        elif all_declined:
            assert new_state is RequestState.DECLINED
        else:
            assert new_state is RequestState.PERMITTED
        assert new_state in TRANSITIONS[(RequestState.PENDING, Event.DECIDE)]
        state, decisions = new_state, new_decisions


@settings(deadline=None)
@given(
    st.dictionaries(st.sampled_from(STAFF), st.sampled_from([DecisionKind.AGREE, DecisionKind.AGREE_IF_UNIDENTIFIABLE]))
)
def test_permit_conditions_are_the_strictest_of_policy_and_decisions(decisions: dict[str, DecisionKind]) -> None:
    policy = Conditions(frozenset({Condition.NO_OTHER_PATIENTS, Condition.STAFF_MAY_VIEW}))
    combined = lifecycle.permit_conditions(policy, decisions)
    hidden = {who for who, kind in decisions.items() if kind is DecisionKind.AGREE_IF_UNIDENTIFIABLE}
    assert policy.codes <= combined.codes  # the policy's conditions are never dropped
    assert combined.unidentifiable_staff == hidden
    assert (Condition.STAFF_UNIDENTIFIABLE in combined.codes) == bool(hidden)


def test_a_decline_leaves_the_decliner_out_of_the_permit_the_others_get() -> None:
    state, decisions = lifecycle.decide(RequestState.PENDING, ["alex", "sam"], {}, "sam", DecisionKind.DECLINE)
    assert state is RequestState.PENDING  # Alex has not decided yet
    state, decisions = lifecycle.decide(state, ["alex", "sam"], decisions, "alex", DecisionKind.AGREE)
    assert state is RequestState.PERMITTED
    conditions = lifecycle.permit_conditions(Conditions(), decisions)
    assert Condition.DECLINED_STAFF_NOT_RECORDED in conditions.codes
    assert Condition.STAFF_UNIDENTIFIABLE not in conditions.codes


@settings(deadline=None)
@given(st.sets(st.sampled_from(list(Condition))), st.sets(st.sampled_from(list(Condition))))
def test_combining_conditions_only_adds(a: set[Condition], b: set[Condition]) -> None:
    left, right = Conditions(frozenset(a)), Conditions(frozenset(b))
    both = left | right
    assert both.codes == a | b and both == right | left and (both | left) == both
    assert both.sorted_codes() == [c for c in Condition if c in a | b]


@settings(deadline=None)
@given(st.sets(st.sampled_from(list(Media)), min_size=1), st.sampled_from(list(Purpose)))
def test_policy_answer_is_the_strictest_verdict(media: set[Media], purpose: Purpose) -> None:
    area = POLICY.area("bay")
    answer = lifecycle.answer_request(POLICY, area, media, purpose)
    verdicts = [area.media[m] for m in media] + [area.purposes[purpose]]
    if purpose is Purpose.CONSULTATION_AUDIO and media != {Media.AUDIO}:
        verdicts.append(V.NEVER)
    assert answer.verdict is lifecycle.strictest(verdicts)
    assert answer.reasons  # the patient always gets a reason
    assert {Condition.NO_OTHER_PATIENTS, Condition.STAFF_MAY_VIEW} <= answer.conditions.codes
    assert (Condition.NO_PUBLISHING in answer.conditions.codes) == (purpose is not Purpose.SOCIAL_MEDIA)


def test_unnamed_media_are_never_allowed_and_waiting_areas_refuse() -> None:
    # audio is not named for the bay: it fails closed.
    assert lifecycle.answer_request(POLICY, POLICY.area("bay"), [Media.AUDIO], Purpose.FAMILY).verdict is V.NEVER
    answer = lifecycle.answer_request(POLICY, POLICY.area("waiting"), [Media.PHOTO], Purpose.FAMILY)
    assert answer.verdict is V.NEVER
    assert "photo recording is never allowed in Waiting" in answer.reasons
    assert lifecycle.answer_request(POLICY, POLICY.area("bay"), [], Purpose.FAMILY).verdict is V.NEVER


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=72 * 60))
def test_expiry_is_exact(minutes: int) -> None:
    now = T0 + timedelta(minutes=minutes)
    decide_by = lifecycle.decide_by(T0, POLICY)
    assert decide_by == T0 + timedelta(hours=12)
    pending = lifecycle.effective_state(RequestState.PENDING, now, decide_by, None)
    assert pending is (RequestState.EXPIRED if now >= decide_by else RequestState.PENDING)
    start, until = lifecycle.permit_period(T0, POLICY.area("bay").permit_hours)
    assert start == T0 and until == T0 + timedelta(hours=6)
    permitted = lifecycle.effective_state(RequestState.PERMITTED, now, decide_by, until)
    assert permitted is (RequestState.EXPIRED if now >= until else RequestState.PERMITTED)
    # Final states never turn into EXPIRED: a withdrawn permit stays withdrawn.
    for state in (RequestState.WITHDRAWN, RequestState.USED, RequestState.DECLINED, RequestState.CANCELLED):
        assert lifecycle.effective_state(state, now, decide_by, until) is state


def test_withdraw_cancel_and_use() -> None:
    assert lifecycle.withdraw(RequestState.PERMITTED, ["ana"], "ana") is RequestState.WITHDRAWN
    with pytest.raises(NotAllowed):
        lifecycle.withdraw(RequestState.PERMITTED, ["ana"], "ben")
    with pytest.raises(InvalidTransition, match="decline"):
        lifecycle.withdraw(RequestState.PENDING, ["ana"], "ana")
    with pytest.raises(InvalidTransition, match="already used"):
        lifecycle.withdraw(RequestState.USED, ["ana"], "ana")
    assert lifecycle.cancel(RequestState.PENDING) is RequestState.CANCELLED
    assert lifecycle.use(RequestState.PERMITTED) is RequestState.USED
    with pytest.raises(InvalidTransition, match="expired"):
        lifecycle.use(RequestState.EXPIRED)
