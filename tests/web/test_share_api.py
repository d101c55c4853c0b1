"""Safe-share over the API: upload under a permit, refusals (409, 415, 413), the job run by the
in-process pool to review, and download of a redacted copy whose faces are hidden."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wardsafe.config import Settings
from wardsafe.jobs.local import LocalQueue
from wardsafe.jobs.retention import sweep
from wardsafe.media.probe import probe
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService
from wardsafe.web import create_app

CLIP = Path(__file__).parents[1] / "fixtures" / "clip.mp4"


def _ask(service: PermissionService, media: list[Media]) -> tuple[str, str]:
    created = service.create_request(NewRequest(
        area_id="radiotherapy-1", media=media, purpose=Purpose.PERSONAL_RECORD, patient_name="Sam",
        contact="07700 900123", staff=["alice", "bob"],
    ))  # fmt: skip
    return created.token, created.request.code


def _permit(service: PermissionService, staff_ids: dict[str, int], media: list[Media]) -> str:
    token, code = _ask(service, media)
    service.decide(staff_ids["alice"], code, DecisionKind.AGREE)
    service.decide(staff_ids["bob"], code, DecisionKind.AGREE_IF_UNIDENTIFIABLE)
    return token


@pytest.fixture
def share(service: PermissionService, tmp_path: Path) -> Iterator[tuple[TestClient, LocalQueue, Path]]:
    """The app with an in-process job pool, as `wardsafe serve` runs it, and a 2 MiB upload limit."""
    data = tmp_path / "data"
    queue = LocalQueue(service, workers=1)
    settings = Settings(data_dir=data, public_url="https://testserver", max_upload_mb=2)
    app = create_app(settings, service=service, queue=queue)
    with TestClient(app, base_url="https://testserver") as client:
        yield client, queue, data
    queue.stop()


def _upload(client: TestClient, token: str, name: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(f"/api/requests/{token}/recordings", files={"file": (name, content, "video/mp4")})


def test_upload_is_refused_unless_the_permit_is_in_force_and_covers_the_file(
    share: tuple[TestClient, LocalQueue, Path], service: PermissionService, staff_ids: dict[str, int]
) -> None:
    client, _, data = share
    pending, _ = _ask(service, [Media.VIDEO])
    answer = _upload(client, pending, "clip.mp4", CLIP.read_bytes())
    assert answer.status_code == 409 and "in force" in answer.json()["detail"]

    photo_only = _permit(service, staff_ids, [Media.PHOTO])
    answer = _upload(client, photo_only, "clip.mp4", CLIP.read_bytes())
    assert answer.status_code == 415 and "covers photo only" in answer.json()["detail"]

    video = _permit(service, staff_ids, [Media.VIDEO])
    assert _upload(client, video, "notes.mp4", b"not a video at all").status_code == 415
    assert _upload(client, video, "notes.txt", CLIP.read_bytes()).status_code == 415
    answer = _upload(client, video, "big.mp4", b"\0" * (3 * 1024 * 1024))
    assert answer.status_code == 413 and answer.json() == {"detail": "the recording is larger than this server accepts"}
    assert client.get(f"/api/requests/{video}/recordings/nope").status_code == 404
    # Nothing refused is kept on disk.
    assert [p for p in (data / "recordings").rglob("*") if p.is_file()] == []


def test_uploaded_clip_is_redacted_to_review_and_downloads(
    share: tuple[TestClient, LocalQueue, Path], service: PermissionService, staff_ids: dict[str, int], tmp_path: Path
) -> None:
    client, _, data = share
    token = _permit(service, staff_ids, [Media.VIDEO])
    answer = _upload(client, token, "clip.mp4", CLIP.read_bytes())
    assert answer.status_code == 202, answer.text
    recording = answer.json()
    assert recording["state"] in ("queued", "running", "review")
    url = f"/api/requests/{token}/recordings/{recording['id']}"
    deadline = time.monotonic() + 180
    while recording["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        recording = client.get(url).json()
    assert recording["state"] == "review", recording
    assert recording["progress"] == 1.0 and recording["hidden"]["face"] >= 1 and recording["people"]
    assert any(h["kind"] == "face" and h["end_s"] > h["start_s"] for h in recording["hidden_at"])
    thumb = client.get(recording["people"][0]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert recording["previews"] and client.get(recording["previews"][0]).status_code == 200

    other = _permit(service, staff_ids, [Media.VIDEO])  # another patient's link sees nothing of it
    assert client.get(f"/api/requests/{other}/recordings/{recording['id']}").status_code == 404

    download = client.get(url + "/download")
    assert download.status_code == 200
    saved = tmp_path / "safe.mp4"
    saved.write_bytes(download.content)
    assert probe(saved).kind == "video" and download.content != CLIP.read_bytes()
    report = client.get(url + "/report")
    assert report.status_code == 200 and report.json()["summary"]["faces_hidden"] >= 1
    # Every file of the job was published whole: no temporary partials are left in its folder.
    names = sorted(p.name for p in (data / "recordings" / recording["id"]).iterdir())
    assert [n for n in names if ".plan.person-" not in n and ".plan.preview-" not in n] == [
        "original.mp4", "redacted.mp4", "redacted.plan.json", "redacted.plan.png", "redacted.report.json"]
    assert len([n for n in names if ".plan.person-" in n]) == len(recording["people"])

    # Keep person 1: the job renders again and comes back to review.
    people = [p["id"] for p in recording["people"]]
    assert client.post(url + "/keep", json={"people": [999]}).status_code == 422
    kept = client.post(url + "/keep", json={"people": [people[0]]})
    assert kept.status_code == 200 and kept.json()["state"] in ("queued", "running", "review")
    recording = _wait(client, url)
    assert recording["keep"] == [people[0]]

    # A staff member named on the permit sees the redacted copy in review (never the original) and asks
    # for a part to be cut: the copy is made again with it, and release waits for that.
    alice = TestClient(client.app, base_url="https://testserver")
    signed = alice.post("/api/session", json={"username": "alice", "password": "alice-password"}).json()
    code = service.get_request_by_token(token).code
    assert [r["state"] for r in alice.get(f"/api/staff/requests/{code}/recordings").json()] == ["review"]
    cut = alice.post(f"/api/staff/requests/{code}/recordings/{recording['id']}/cut",
                     json={"start_s": 0.5, "end_s": 1.0, "reason": "my badge"},
                     headers={"X-CSRF-Token": signed["csrf_token"]})  # fmt: skip
    assert cut.status_code == 200, cut.text
    if cut.json()["state"] != "review":
        assert client.post(url + "/release").status_code == 409  # not before the cut is rendered
    recording = _wait(client, url)
    assert recording["cuts"][0]["reason"] == "my badge"  # the patient sees the request
    assert recording["state"] == "review" and recording["hidden"]["cut"] == 1
    assert {"kind": "cut", "start_s": 0.5, "end_s": 1.0} in recording["hidden_at"]

    original = (data / "recordings" / recording["id"] / "original.mp4").read_bytes()
    released = client.post(url + "/release")
    assert released.status_code == 200 and released.json()["state"] == "released"
    assert client.post(url + "/release").status_code == 409
    # After release no file under the data folder holds the original's bytes.
    for path in data.rglob("*"):
        if path.is_file():
            assert path.read_bytes() != original, path
    names = sorted(p.name for p in (data / "recordings" / recording["id"]).iterdir())
    assert names == ["redacted.mp4", "redacted.report.json"]

    listed = alice.get(f"/api/staff/requests/{code}/recordings").json()
    assert [r["id"] for r in listed] == [recording["id"]] and listed[0]["report"]["summary"]["faces_hidden"] >= 1
    assert listed[0]["state"] == "released"
    late = alice.post(f"/api/staff/requests/{code}/recordings/{recording['id']}/cut",
                      json={"start_s": 0, "end_s": 1, "reason": "too late"},
                      headers={"X-CSRF-Token": signed["csrf_token"]})  # fmt: skip
    assert late.status_code == 409
    copy = alice.get(f"/api/staff/requests/{code}/recordings/{recording['id']}/download")
    assert copy.status_code == 200 and copy.content == client.get(url + "/download").content
    carol = TestClient(client.app, base_url="https://testserver")  # not named on the permit
    carol.post("/api/session", json={"username": "carol", "password": "carol-password"})
    assert carol.get(f"/api/staff/requests/{code}/recordings").status_code == 404
    alice.close()
    carol.close()
    assert service.audit_verify().ok
    actions = [e.action for e in service.audit_entries(None, limit=50)]
    for action in ("recording.uploaded", "recording.job_started", "recording.job_finished", "recording.kept",
                   "recording.cut_requested", "recording.released"):
        assert action in actions


def test_retention_sweep_deletes_originals_past_the_policy_days(
    share: tuple[TestClient, LocalQueue, Path], service: PermissionService, staff_ids: dict[str, int], clock
) -> None:  # type: ignore[no-untyped-def]
    client, _, data = share
    token = _permit(service, staff_ids, [Media.VIDEO])
    uploaded = _upload(client, token, "c.mp4", CLIP.read_bytes()).json()
    recording = _wait(client, f"/api/requests/{token}/recordings/{uploaded['id']}")
    folder = data / "recordings" / recording["id"]
    assert (folder / "original.mp4").exists()
    assert sweep(service) == 0  # nothing is old enough yet
    clock.advance(days=service.policy.retention_days + 1)
    assert sweep(service) >= 3
    assert [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")] == []
    assert client.get(f"/api/requests/{token}/recordings/{recording['id']}").json()["state"] == "deleted"
    assert "recording.original_deleted" in [e.action for e in service.audit_entries(None, limit=20)]
    assert service.audit_verify().ok


def _wait(client: TestClient, url: str) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 180
    recording = client.get(url).json()
    while recording["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        recording = client.get(url).json()
    assert recording["state"] == "review", recording
    return recording
