"""`wardsafe staff add`: prompts twice for a hidden password, or reads it from stdin for scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from wardsafe.cli import app
from wardsafe.store.db import init_db
from wardsafe.store.policy_source import load_policy
from wardsafe.store.service import PermissionService


def service_at(data_dir: Path) -> PermissionService:
    return PermissionService(init_db(f"sqlite:///{data_dir / 'wardsafe.db'}"), load_policy())


def test_staff_add_prompts_for_the_password_twice(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["staff", "add", "sam", "--name", "Sam Patel (RN)", "--area", "radiotherapy-1", "--area", "mri-1"],
        input="pass word 1\npass word 1\n",
        env={"WARDSAFE_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert "pass word 1" not in result.output  # hidden input is not echoed
    assert "added staff sam (Sam Patel (RN)) working in mri-1, radiotherapy-1" in result.output
    service = service_at(tmp_path)
    assert service.authenticate("sam", "pass word 1") is not None
    assert service.audit_entries(None)[0].action == "staff.added"


def test_staff_add_from_stdin_and_its_errors(tmp_path: Path) -> None:
    env = {**os.environ, "WARDSAFE_DATA_DIR": str(tmp_path)}
    env.pop("WARDSAFE_DATABASE_URL", None)
    command = [sys.executable, "-m", "wardsafe", "staff", "add", "--password-stdin"]

    def run(*args: str, password: str = "long enough") -> subprocess.CompletedProcess[str]:
        # A new session has no terminal, so nothing can wait on a keyboard.
        return subprocess.run(
            [*command, *args], input=password + "\n", capture_output=True, text=True, env=env,
            timeout=120, start_new_session=True,
        )  # fmt: skip

    ok = run("gina", "--name", "Gina Ovens", "--role", "admin")
    assert ok.returncode == 0, ok.stderr
    assert "added admin gina (Gina Ovens) working in no areas" in ok.stdout

    for args, password, message in [
        (("gina", "--name", "Again"), "long enough", "error: the username 'gina' is taken"),
        (("hal", "--name", "Hal"), "short", "error: the password must have at least 8 characters"),
        (("hal", "--name", "Hal", "--area", "moon"), "long enough", "error: no such area in the policy: moon"),
        (("hal", "--name", "Hal", "--role", "king"), "long enough", "error: the role must be one of"),
        (("hal", "--name", "Hal"), "", "error: no password given"),
    ]:
        failed = run(*args, password=password)
        assert failed.returncode != 0
        assert failed.stderr.startswith(message), failed.stderr
        assert "Traceback" not in failed.stderr
    assert service_at(tmp_path).authenticate("gina", "long enough") is not None

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "wardsafe", "staff", *args], capture_output=True, text=True,
                              env=env, timeout=120, start_new_session=True)  # fmt: skip

    assert cli("disable", "gina").stdout.strip() == "disabled gina"
    assert cli("list").stdout.splitlines() == ["gina\tadmin\tdisabled\t-\tGina Ovens"]
    assert service_at(tmp_path).authenticate("gina", "long enough") is None
    missing = cli("enable", "nobody")
    assert missing.returncode == 5 and missing.stderr.strip() == "error: no staff account 'nobody'"
