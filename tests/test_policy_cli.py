"""`wardsafe policy check FILE` prints each problem with its line and exits non-zero; the default passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wardsafe.errors import ConfigError


def policy_check(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "wardsafe", "policy", "check", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_default_policy_is_valid() -> None:
    result = policy_check()
    assert result.returncode == 0, result.stderr
    assert "default policy: ok (Example NHS Foundation Trust, 6 areas, time zone Europe/London)" in result.stdout


def test_each_problem_is_printed_with_its_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "trust:\n"
        "  name: Test Trust\n"
        "  timezone: Europe/Atlantis\n"
        "areas:\n"
        "  - id: bay-1\n"
        "    name: Bay 1\n"
        "    kind: corridor\n"
        "    media: {video: sometimes}\n",
        encoding="utf-8",
    )
    result = policy_check(str(policy))
    assert result.returncode == ConfigError.exit_code
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"{policy}:3: trust.timezone: unknown time zone 'Europe/Atlantis' (e.g. Europe/London)"
    assert lines[1].startswith(f"{policy}:7: areas[1].kind: 'corridor' is not one of: treatment_room")
    assert lines[2].startswith(f"{policy}:8: areas[1].media.video: 'sometimes' is not one of")
    assert lines[3] == f"{policy}: 3 problem(s); the server will not start with this policy"
    assert "Traceback" not in result.stderr


def test_unreadable_policy_is_one_clear_error(tmp_path: Path) -> None:
    missing = policy_check(str(tmp_path / "nope.yaml"))
    assert missing.returncode == ConfigError.exit_code
    assert missing.stderr.strip() == f"error: policy file not found: {tmp_path / 'nope.yaml'}"
    binary = tmp_path / "policy.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    result = policy_check(str(binary))
    assert result.returncode == ConfigError.exit_code and result.stderr.startswith("error: cannot read policy file")
