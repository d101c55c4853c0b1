"""The permission service end to end, on SQLite and PostgreSQL: requests, decisions, permits, withdrawal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import Clock
from wardsafe.errors import InputError
from wardsafe.permits.errors import InvalidTransition, NotAllowed, NotFound
from wardsafe.permits.model import Condition, DecisionKind, Media, Purpose, RequestState, Verdict
from wardsafe.store.codes import token_hash
from wardsafe.store.db import make_sessionmaker, session_scope
from wardsafe.store.models import RecordingRequest
from wardsafe.store.service import NewRequest, PermissionService

RADIOTHERAPY = "radiotherapy-1"


def ask(service: PermissionService, staff: list[str], **changes: object):  # type: ignore[no-untyped-def]
    """A patient asks to film their radiotherapy set-up for social media, naming the staff involved."""
    fields: dict[str, object] = {
        "area_id": RADIOTHERAPY,
        "media": [Media.VIDEO],
        "purpose": Purpose.SOCIAL_MEDIA,
        "patient_name": "Tom",
        "contact": "07700 900123",
        "staff": staff,
        "note": "first day of treatment",
    }
    fields.update(changes)
    return service.create_request(NewRequest(**fields))  # type: ignore[arg-type]


def test_two_staff_agree_then_one_withdraws(service: PermissionService, staff_ids: dict[str, int]) -> None:
    created = ask(service, ["alice", "bob"])
    assert created.request.state is RequestState.PENDING
    assert created.request.policy.verdict is Verdict.NEEDS_DECISION
    assert len(created.token) >= 32 and len(created.request.code) == 7

    # Each involved person sees it in their own inbox, and nobody else does.
    assert [r.code for r in service.staff_inbox(staff_ids["alice"])] == [created.request.code]
    assert [r.code for r in service.staff_inbox(staff_ids["bob"])] == [created.request.code]
    assert service.staff_inbox(staff_ids["carol"]) == []

    after_alice = service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)
    assert after_alice.state is RequestState.PENDING and after_alice.permit is None
    assert service.staff_inbox(staff_ids["alice"]) == []

    # Codes are accepted as typed: lower case, without the dash.
    typed = created.request.code.lower().replace("-", "")
    permitted = service.decide(staff_ids["bob"], typed, DecisionKind.AGREE_IF_UNIDENTIFIABLE, "no face please")
    assert permitted.state is RequestState.PERMITTED
    permit = permitted.permit
    assert permit is not None
    assert permit.unidentifiable_staff == ["Bob Ray (radiographer)"]
    codes = {c.code for c in permit.conditions}
    assert {Condition.STAFF_UNIDENTIFIABLE, Condition.NO_OTHER_PATIENTS, Condition.STAFF_MAY_VIEW} <= codes
    assert (permit.valid_until - permit.valid_from).total_seconds() == 4 * 3600  # the area's permit_hours

    # Staff check the card by its code; the patient sees the same permit.
    assert service.verify_permit(permit.code.lower()).state is RequestState.PERMITTED
    assert service.get_request_by_token(created.token).permit == permit

    withdrawn = service.withdraw(staff_ids["alice"], created.request.code, "patient in next bay visible")
    assert withdrawn.state is RequestState.WITHDRAWN
    seen = service.get_request_by_token(created.token)
    assert seen.state is RequestState.WITHDRAWN
    assert seen.permit is not None and seen.permit.withdrawn_by == "Alice Ng (RN)"
    assert seen.permit.withdrawal_reason == "patient in next bay visible"
    assert service.verify_permit(permit.code).state is RequestState.WITHDRAWN


def test_a_decline_leaves_the_decliner_out_of_the_permit(service: PermissionService, staff_ids: dict[str, int]) -> None:
    created = ask(service, ["alice", "bob"])
    waiting = service.decide(staff_ids["bob"], created.request.code, DecisionKind.DECLINE, "not today")
    assert waiting.state is RequestState.PENDING and waiting.permit is None  # alice has not answered
    permitted = service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)
    assert permitted.state is RequestState.PERMITTED and permitted.permit is not None
    assert Condition.DECLINED_STAFF_NOT_RECORDED in [c.code for c in permitted.permit.conditions]
    assert permitted.permit.declined_staff == ["Bob Ray (radiographer)"]
    assert permitted.permit.covered_staff == ["Alice Ng (RN)"]
    with pytest.raises(InvalidTransition, match="already been issued"):
        service.decide(staff_ids["bob"], created.request.code, DecisionKind.AGREE)


def test_when_everyone_declines_no_permit_is_issued(service: PermissionService, staff_ids: dict[str, int]) -> None:
    created = ask(service, ["alice", "bob"])
    service.decide(staff_ids["bob"], created.request.code, DecisionKind.DECLINE, "not today")
    declined = service.decide(staff_ids["alice"], created.request.code, DecisionKind.DECLINE)
    assert declined.state is RequestState.DECLINED and declined.permit is None
    with pytest.raises(InvalidTransition, match="declined"):
        service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)


def test_a_decision_can_change_while_pending(service: PermissionService, staff_ids: dict[str, int]) -> None:
    created = ask(service, ["alice", "bob"])
    service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)
    view = service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE_IF_UNIDENTIFIABLE)
    assert [d.decision for d in view.decisions] == [DecisionKind.AGREE_IF_UNIDENTIFIABLE, None]


def test_nobody_decides_for_a_colleague_or_outside_their_areas(
    service: PermissionService, staff_ids: dict[str, int]
) -> None:
    created = ask(service, ["bob"])
    # mona works in radiotherapy but is not involved; carol works elsewhere; gov is an admin.
    with pytest.raises(NotAllowed, match="not one of the staff involved"):
        service.decide(staff_ids["mona"], created.request.code, DecisionKind.AGREE)
    with pytest.raises(NotAllowed, match="do not work in this area"):
        service.decide(staff_ids["carol"], created.request.code, DecisionKind.AGREE)
    with pytest.raises(NotAllowed):
        service.decide(staff_ids["gov"], created.request.code, DecisionKind.AGREE)
    with pytest.raises(NotAllowed):
        service.withdraw(staff_ids["mona"], created.request.code, "no")
    with pytest.raises(NotFound):
        service.get_request_for_staff(staff_ids["carol"], created.request.code)
    assert service.get_request_for_staff(staff_ids["gov"], created.request.code).code == created.request.code


def test_policy_refuses_at_once_and_allows_consultation_audio(service: PermissionService) -> None:
    refused = service.create_request(
        NewRequest(
            area_id="main-waiting", media=[Media.PHOTO], purpose=Purpose.FAMILY, patient_name="A",
            contact="07700 900123",
        )
    )
    assert refused.request.state is RequestState.REFUSED
    assert any("never allowed" in reason for reason in refused.request.policy.reasons)
    with pytest.raises(InvalidTransition):
        service.cancel_request(refused.token)

    audio = service.create_request(
        NewRequest(
            area_id="outpatients-3",
            media=[Media.AUDIO],
            purpose=Purpose.CONSULTATION_AUDIO,
            patient_name="A",
            contact="07700 900123",
        )
    )
    assert audio.request.state is RequestState.PERMITTED
    assert audio.request.permit is not None
    assert {c.code for c in audio.request.permit.conditions} >= {
        Condition.NOTICE_BEFORE_RECORDING,
        Condition.NO_PUBLISHING,
    }
    # A consultation may be recorded as audio only.
    answer = service.check_request("outpatients-3", [Media.VIDEO, Media.AUDIO], Purpose.CONSULTATION_AUDIO)
    assert answer.verdict is Verdict.NEVER


def test_bad_requests_are_refused_with_one_clear_error(service: PermissionService, staff_ids: dict[str, int]) -> None:
    with pytest.raises(InputError, match="name every member of staff"):
        ask(service, [])
    with pytest.raises(InputError, match="^a member of staff named is not an active staff account"):
        ask(service, ["alice", "nobody"])
    with pytest.raises(InputError, match="not working in"):
        ask(service, ["carol"])
    with pytest.raises(InputError, match="required"):
        ask(service, ["alice"], patient_name="   ")
    with pytest.raises(NotFound):
        ask(service, ["alice"], area_id="no-such-area")
    assert service.admin_requests(staff_ids["gov"]) == []  # nothing half-stored
    with pytest.raises(NotAllowed):
        service.admin_requests(staff_ids["mona"])


def test_expiry_of_requests_and_permits(service: PermissionService, staff_ids: dict[str, int], clock: Clock) -> None:
    waiting = ask(service, ["alice"])
    clock.advance(hours=25)  # request_hours is 24 in the default policy
    assert service.get_request_by_token(waiting.token).state is RequestState.EXPIRED
    assert service.staff_inbox(staff_ids["alice"]) == []
    with pytest.raises(InvalidTransition, match="expired"):
        service.decide(staff_ids["alice"], waiting.request.code, DecisionKind.AGREE)

    fresh = ask(service, ["alice"])
    permit = service.decide(staff_ids["alice"], fresh.request.code, DecisionKind.AGREE).permit
    assert permit is not None
    clock.advance(hours=3, minutes=59)
    assert service.verify_permit(permit.code).state is RequestState.PERMITTED
    clock.advance(minutes=1)
    assert service.verify_permit(permit.code).state is RequestState.EXPIRED
    with pytest.raises(InvalidTransition, match="expired"):
        service.withdraw(staff_ids["alice"], fresh.request.code, "too late")
    assert [r.state for r in service.admin_requests(staff_ids["gov"], RequestState.EXPIRED)] == [
        RequestState.EXPIRED,
        RequestState.EXPIRED,
    ]


def test_used_permits_cannot_be_withdrawn(service: PermissionService, staff_ids: dict[str, int]) -> None:
    created = ask(service, ["alice"])
    service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)
    used = service.mark_permit_used(created.token)
    assert used.state is RequestState.USED and used.permit is not None and used.permit.used_at is not None
    with pytest.raises(InvalidTransition, match="already used"):
        service.withdraw(staff_ids["alice"], created.request.code, "changed my mind")
    with pytest.raises(InvalidTransition):
        service.cancel_request(created.token)


def test_patient_can_cancel(service: PermissionService, staff_ids: dict[str, int]) -> None:
    created = ask(service, ["alice"])
    assert service.cancel_request(created.token).state is RequestState.CANCELLED
    assert service.staff_inbox(staff_ids["alice"]) == []


def test_unknown_links_and_codes_reveal_nothing(service: PermissionService) -> None:
    created = ask(service, ["alice"])
    with pytest.raises(NotFound):
        service.get_request_by_token(created.token + "x")
    with pytest.raises(NotFound):
        service.get_request_by_token("")
    with pytest.raises(NotFound):
        service.verify_permit("AAAA-AAAA")
    with pytest.raises(NotFound):
        service.verify_permit("not a code")


def test_storage_keeps_no_token_and_no_identifiers_in_audit(service: PermissionService) -> None:
    created = ask(service, ["alice"], patient_name="Zebedee Quill", contact="07700 900999")
    with session_scope(make_sessionmaker(service.engine), read_only=True) as session:
        row = session.execute(select(RecordingRequest)).scalar_one()
        assert row.token_hash == token_hash(created.token) and created.token not in row.token_hash
        columns = set(RecordingRequest.__table__.columns.keys())
        assert not {"nhs_number", "date_of_birth", "dob", "token"} & columns
    audit = " ".join(e.model_dump_json() for e in service.audit_entries(None, limit=1000))
    assert "Zebedee" not in audit and "900999" not in audit and created.token not in audit


def test_every_change_is_audited_in_order(service: PermissionService, staff_ids: dict[str, int]) -> None:
    before = len(service.audit_entries(None, limit=1000))
    created = ask(service, ["alice", "bob"])
    service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)
    service.decide(staff_ids["bob"], created.request.code, DecisionKind.AGREE)
    service.withdraw(staff_ids["bob"], created.request.code, "no")
    entries = service.audit_entries(staff_ids["gov"], limit=1000)
    actions = [(e.actor, e.action) for e in reversed(entries[: len(entries) - before])]
    assert actions == [
        ("patient", "request.created"),
        ("staff:alice", "decision.recorded"),
        ("staff:bob", "decision.recorded"),
        ("staff:bob", "permit.issued"),
        ("staff:bob", "permit.withdrawn"),
    ]
    assert service.audit_verify().ok
    with pytest.raises(NotAllowed):
        service.audit_entries(staff_ids["alice"])


def test_failed_change_leaves_no_audit_row(service: PermissionService, staff_ids: dict[str, int]) -> None:
    created = ask(service, ["alice"])
    rows = service.audit_verify().rows
    with pytest.raises(NotAllowed):
        service.decide(staff_ids["bob"], created.request.code, DecisionKind.AGREE)
    with pytest.raises(InputError):
        service.withdraw(staff_ids["alice"], created.request.code, "  ")
    assert service.audit_verify().rows == rows


def test_an_nhs_number_is_refused_not_stored(service: PermissionService, staff_ids: dict[str, int]) -> None:
    with pytest.raises(InputError, match="NHS number"):
        ask(service, ["alice"], note="NHS 943 476 5919")
    assert service.admin_requests(staff_ids["gov"]) == []
