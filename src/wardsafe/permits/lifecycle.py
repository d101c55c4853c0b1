"""How a recording request moves: the policy's first answer, decisions, permits, expiry, withdrawal.

Pure functions over plain values: no clock (``now`` is passed in), no storage. The service in
``wardsafe.store`` loads a request, asks these functions what happens, and stores the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from wardsafe.permits.errors import InvalidTransition, NotAllowed
from wardsafe.permits.model import Condition, Conditions, DecisionKind, Media, Purpose, RequestState, Verdict
from wardsafe.permits.policy import AreaPolicy, Policy


class Event(StrEnum):
    """Things that happen to a request after it was submitted."""

    DECIDE = "decide"  # an involved staff member records their decision
    WITHDRAW = "withdraw"  # an involved staff member withdraws permission
    CANCEL = "cancel"  # the patient cancels
    USE = "use"  # the patient uses the permit for publishing


S = RequestState
# Every legal (state, event) pair and the states it may lead to. Anything else is illegal.
TRANSITIONS: dict[tuple[RequestState, Event], frozenset[RequestState]] = {
    (S.PENDING, Event.DECIDE): frozenset({S.PENDING, S.DECLINED, S.PERMITTED}),
    (S.PENDING, Event.CANCEL): frozenset({S.CANCELLED}),
    (S.PERMITTED, Event.WITHDRAW): frozenset({S.WITHDRAWN}),
    (S.PERMITTED, Event.CANCEL): frozenset({S.CANCELLED}),
    (S.PERMITTED, Event.USE): frozenset({S.USED}),
}

# Why an event is refused in a state, in words a patient or a nurse understands.
_REFUSAL = {
    S.REFUSED: "the policy does not allow this request",
    S.DECLINED: "every member of staff involved declined this request",
    S.WITHDRAWN: "permission was withdrawn",
    S.CANCELLED: "the request was cancelled",
    S.EXPIRED: "the request or permit has expired",
    S.USED: "the permit was already used for publishing",
    S.PERMITTED: "the permit has already been issued",
    S.PENDING: "no permit has been issued yet (staff decline a pending request instead)",
}


def check_transition(state: RequestState, event: Event) -> frozenset[RequestState]:
    """The states ``event`` may lead to from ``state``; InvalidTransition if it is not legal there."""
    targets = TRANSITIONS.get((state, event))
    if targets is None:
        raise InvalidTransition(f"cannot {event.value}: {_REFUSAL[state]}")
    return targets


@dataclass(frozen=True)
class Answer:
    """The policy's immediate answer to a request."""

    verdict: Verdict
    reasons: tuple[str, ...]
    conditions: Conditions


_STRICTNESS = {Verdict.ALLOWED: 0, Verdict.NEEDS_DECISION: 1, Verdict.NEVER: 2}


def strictest(verdicts: Iterable[Verdict]) -> Verdict:
    """The strictest verdict (NEVER over NEEDS_DECISION over ALLOWED); ALLOWED for none."""
    return max(verdicts, key=_STRICTNESS.__getitem__, default=Verdict.ALLOWED)


def answer_request(policy: Policy, area: AreaPolicy, media: Iterable[Media], purpose: Purpose) -> Answer:
    """What the policy says, at once, about recording ``media`` for ``purpose`` in ``area``."""
    wanted = sorted(set(media))
    reasons: list[str] = []
    verdicts = [area.media[m] for m in wanted] + [area.purposes[purpose]]
    for m in wanted:
        if area.media[m] is Verdict.NEVER:
            reasons.append(f"{m.value} recording is never allowed in {area.name}")
    if area.purposes[purpose] is Verdict.NEVER:
        reasons.append(f"recording for {purpose.value.replace('_', ' ')} is never allowed in {area.name}")
    if purpose is Purpose.CONSULTATION_AUDIO and any(m is not Media.AUDIO for m in wanted):
        verdicts.append(Verdict.NEVER)
        reasons.append("a consultation may be recorded as audio only")
    if not wanted:
        verdicts.append(Verdict.NEVER)
        reasons.append("no media were chosen")

    verdict = strictest(verdicts)
    if verdict is Verdict.NEEDS_DECISION:
        reasons.append("every member of staff involved must agree, each for themself")
    elif verdict is Verdict.ALLOWED:
        reasons.append("allowed by the policy for this area, with the conditions shown")

    codes = set(policy.default_conditions | area.conditions)
    if purpose is not Purpose.SOCIAL_MEDIA:
        # Asked for a private purpose: the permit covers that purpose only.
        codes.add(Condition.NO_PUBLISHING)
    return Answer(verdict, tuple(reasons), Conditions(frozenset(codes)))


def initial_state(verdict: Verdict) -> RequestState:
    """The state a new request starts in, from the policy's verdict."""
    return {Verdict.NEVER: S.REFUSED, Verdict.NEEDS_DECISION: S.PENDING, Verdict.ALLOWED: S.PERMITTED}[verdict]


def effective_state(
    state: RequestState, now: datetime, decide_by: datetime, valid_until: datetime | None
) -> RequestState:
    """The stored state, or EXPIRED when the wait for decisions or the permit has run out at ``now``."""
    if state is S.PENDING and now >= decide_by:
        return S.EXPIRED
    if state is S.PERMITTED and valid_until is not None and now >= valid_until:
        return S.EXPIRED
    return state


def decide(
    state: RequestState,
    involved: Iterable[str],
    decisions: Mapping[str, DecisionKind],
    staff: str,
    decision: DecisionKind,
) -> tuple[RequestState, dict[str, DecisionKind]]:
    """Records ``staff``'s own decision and returns the new state and all decisions so far.

    Only a staff member involved in the request decides, and only for themself (``staff`` is the
    person logged in). A decision may be changed while the request is pending. The request waits until
    every involved person has decided. Then, if anyone agreed (in either way), the permit is issued for
    them, and whoever declined is left out of it (they must not be recorded: see
    :func:`permit_conditions`); if everyone declined, the request is declined.
    """
    involved_set = set(involved)
    if staff not in involved_set:
        raise NotAllowed("you are not one of the staff involved in this request")
    check_transition(state, Event.DECIDE)
    updated = {who: kind for who, kind in decisions.items() if who in involved_set}
    updated[staff] = decision
    if not involved_set <= updated.keys():
        return S.PENDING, updated
    if all(kind is DecisionKind.DECLINE for kind in updated.values()):
        return S.DECLINED, updated
    return S.PERMITTED, updated


def permit_conditions(policy_conditions: Conditions, decisions: Mapping[str, DecisionKind]) -> Conditions:
    """The permit's conditions: the policy's, plus hiding every staff member who agreed only if
    unidentifiable, plus leaving out (not recording) every staff member who declined."""
    extra = Conditions()
    hidden = frozenset(who for who, kind in decisions.items() if kind is DecisionKind.AGREE_IF_UNIDENTIFIABLE)
    if hidden:
        extra = extra | Conditions(frozenset({Condition.STAFF_UNIDENTIFIABLE}), hidden)
    if any(kind is DecisionKind.DECLINE for kind in decisions.values()):
        extra = extra | Conditions(frozenset({Condition.DECLINED_STAFF_NOT_RECORDED}))
    return policy_conditions | extra


def permit_period(issued_at: datetime, hours: int) -> tuple[datetime, datetime]:
    """When a permit issued at ``issued_at`` is valid: from then for the area's ``hours``."""
    return issued_at, issued_at + timedelta(hours=hours)


def decide_by(created_at: datetime, policy: Policy) -> datetime:
    """When a pending request created at ``created_at`` expires if not decided."""
    return created_at + timedelta(hours=policy.request_hours)


def withdraw(state: RequestState, involved: Iterable[str], staff: str) -> RequestState:
    """An involved staff member withdraws an issued permit, before it is used for publishing.

    A pending request has no permit to withdraw: the staff member declines it instead."""
    if staff not in set(involved):
        raise NotAllowed("only a member of staff involved in this request can withdraw it")
    check_transition(state, Event.WITHDRAW)
    return S.WITHDRAWN


def cancel(state: RequestState) -> RequestState:
    """The patient cancels their pending request or unused permit."""
    check_transition(state, Event.CANCEL)
    return S.CANCELLED


def use(state: RequestState) -> RequestState:
    """The patient uses the permit for publishing; from now on it cannot be withdrawn."""
    check_transition(state, Event.USE)
    return S.USED
