"""``wardsafe serve`` refuses to start on an invalid policy, naming each problem with its line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wardsafe.web.demo import DEMO_STAFF, seed_demo_staff


def test_serve_refuses_an_invalid_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ntrust: {name: X}\nareas: 7\n", encoding="utf-8")
    env = {**os.environ, "WARDSAFE_POLICY": str(policy), "WARDSAFE_DATA_DIR": str(tmp_path / "data")}
    run = subprocess.run(
        [sys.executable, "-m", "wardsafe", "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 4
    lines = run.stderr.strip().splitlines()
    assert lines[0].startswith("policy: line 2:") and lines[1].startswith("policy: line 3:")
    assert lines[-1].startswith("error: invalid policy:")
    assert "Traceback" not in run.stderr


def test_demo_staff_are_seeded_once(service) -> None:  # type: ignore[no-untyped-def]
    assert seed_demo_staff(service) == [username for username, *_ in DEMO_STAFF]
    assert seed_demo_staff(service) == []
    assert service.authenticate("alex", "wardsafe-demo") is not None
