"""The JSON API under /api/: the same journey as the pages, as an app or a script would drive it."""

from __future__ import annotations


def _sign_in(client, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    answer = client.post("/api/session", json={"username": username, "password": f"{username}-password"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["staff"]["username"] == username
    assert "password" not in answer.text
    return {"X-CSRF-Token": answer.json()["csrf_token"]}


def test_areas_and_policy_check(client) -> None:  # type: ignore[no-untyped-def]
    areas = client.get("/api/areas").json()
    assert [a["id"] for a in areas][:2] == ["radiotherapy-1", "chemo-day-unit"]
    answer = client.post("/api/areas/chemo-day-unit/check", json={"media": ["audio"], "purpose": "family"}).json()
    assert answer["verdict"] == "never" and answer["reasons"]
    assert client.get("/api/areas/nowhere").status_code == 404
    assert client.get("/api/areas/nowhere").json() == {"detail": "there is no such area in the policy"}


def test_journey(new_client) -> None:  # type: ignore[no-untyped-def]
    patient, alice, bob = new_client(), new_client(), new_client()
    body = {
        "area_id": "radiotherapy-1",
        "media": ["photo"],
        "purpose": "personal_record",
        "patient_name": "Sam",
        "contact": "sam@example.org",
        "staff": ["alice", "bob"],
    }
    created = patient.post("/api/requests", json=body)
    assert created.status_code == 201
    token, code = created.json()["token"], created.json()["request"]["code"]
    assert created.json()["status_url"] == f"https://testserver/r/{token}"

    alice_headers, bob_headers = _sign_in(alice, "alice"), _sign_in(bob, "bob")
    assert [r["code"] for r in alice.get("/api/staff/inbox").json()] == [code]
    decided = alice.post(f"/api/staff/requests/{code}/decision", json={"decision": "agree"}, headers=alice_headers)
    assert decided.json()["state"] == "pending"
    decided = bob.post(f"/api/staff/requests/{code}/decision", json={"decision": "agree"}, headers=bob_headers)
    permit = decided.json()["permit"]
    assert decided.json()["state"] == "permitted" and permit["state"] == "permitted"
    assert alice.get(f"/api/permits/{permit['code']}").json()["request_code"] == code

    again = bob.post(f"/api/staff/requests/{code}/decision", json={"decision": "decline"}, headers=bob_headers)
    assert again.status_code == 409  # decided already: the permit stands until withdrawn

    withdrawn = bob.post(f"/api/staff/requests/{code}/withdraw", json={"reason": "No"}, headers=bob_headers)
    assert withdrawn.json()["state"] == "withdrawn"
    seen = patient.get(f"/api/requests/{token}").json()
    assert seen["state"] == "withdrawn" and seen["permit"]["withdrawal_reason"] == "No"

    assert bob.delete("/api/session", headers=bob_headers).status_code == 204
    assert bob.get("/api/staff/inbox").status_code == 401


def test_bad_input_is_one_clear_json_error(client) -> None:  # type: ignore[no-untyped-def]
    body = {"area_id": "radiotherapy-1", "media": ["photo"], "purpose": "family", "patient_name": "S",
            "contact": "07700 900123"}  # fmt: skip
    answer = client.post("/api/requests", json=body)
    assert answer.status_code == 422
    assert answer.json() == {"detail": "name every member of staff involved: each of them must agree"}
    answer = client.post("/api/requests", json={**body, "media": ["smell"], "patient_name": "Secret Name"})
    assert answer.status_code == 422 and "Secret Name" not in answer.text  # never echoes what was typed
