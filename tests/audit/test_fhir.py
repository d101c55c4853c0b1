"""`wardsafe audit export --fhir` writes a FHIR R4 Bundle that fhir.resources validates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent

from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService


def test_export_is_a_valid_bundle_of_consents_and_audit_events(
    service: PermissionService, staff_ids: dict[str, int], seeded_url: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    new = NewRequest(
        area_id="radiotherapy-1",
        media=[Media.VIDEO, Media.PHOTO],
        purpose=Purpose.SOCIAL_MEDIA,
        patient_name="Zebedee Quill",
        contact="07700 900999",
        staff=["alice", "bob"],
    )
    kept = service.create_request(new)
    service.decide(staff_ids["alice"], kept.request.code, DecisionKind.AGREE)
    service.decide(staff_ids["bob"], kept.request.code, DecisionKind.AGREE_IF_UNIDENTIFIABLE)
    withdrawn = service.create_request(new)
    service.decide(staff_ids["bob"], withdrawn.request.code, DecisionKind.DECLINE)  # the permit leaves Bob out
    permit = service.decide(staff_ids["alice"], withdrawn.request.code, DecisionKind.AGREE).permit
    service.withdraw(staff_ids["alice"], withdrawn.request.code, "other patient in shot")
    service.create_request(new.model_copy(update={"area_id": "main-waiting", "staff": []}))  # refused: no Consent
    assert permit is not None

    url, _ = seeded_url
    out = tmp_path / "export.json"
    env = {**os.environ, "WARDSAFE_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "wardsafe", "audit", "export", "--fhir", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    raw = out.read_text(encoding="utf-8")
    assert "Zebedee" not in raw and "900999" not in raw  # the export does not name the patient

    bundle = Bundle.model_validate(json.loads(raw))
    resources = [entry.resource for entry in bundle.entry]
    consents = [r for r in resources if isinstance(r, Consent)]
    events = [r for r in resources if isinstance(r, AuditEvent)]
    assert result.stdout.strip().endswith(f"{len(consents)} Consent, {len(events)} AuditEvent")
    assert len(consents) == 2
    assert len(events) == service.audit_verify().rows  # every row, including this export itself
    assert events[-1].type.code == "audit.exported"

    by_status = {c.status: c for c in consents}
    assert set(by_status) == {"active", "inactive"}
    active = by_status["active"]
    media = {p.code[0].coding[0].code for p in active.provision.provision if p.type == "permit"}
    assert media == {"photo", "video"}
    denied = {p.code[0].coding[0].code for p in active.provision.provision if p.type == "deny"}
    assert {"no_other_patients", "staff_unidentifiable"} <= denied
    hidden = next(p for p in active.provision.provision if p.code[0].coding[0].code == "staff_unidentifiable")
    assert [a.reference.display for a in hidden.actor] == ["Bob Ray (radiographer)"]
    assert active.provision.period.start < active.provision.period.end
    assert [v.verified for v in active.verification] == [True, True]
    # The withdrawn permit's period ends when it was withdrawn.
    inactive = by_status["inactive"]
    assert inactive.identifier[0].value == permit.code
    assert inactive.provision.period.end < active.provision.period.end
    codes = {p.code[0].coding[0].code: p for p in inactive.provision.provision}
    left_out = codes["declined_staff_not_recorded"]
    assert left_out.type == "deny" and [a.reference.display for a in left_out.actor] == ["Bob Ray (radiographer)"]
