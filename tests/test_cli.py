"""The ``wardsafe`` command as a user meets it: real subprocesses of the installed entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# The console script the package installs beside the interpreter (what `wardsafe ...` runs).
WARDSAFE = Path(sys.executable).with_name("wardsafe")


def wardsafe(*args: str) -> subprocess.CompletedProcess[str]:
    assert WARDSAFE.is_file(), f"{WARDSAFE} is missing: install the package (make setup)"
    # stdin closed: nothing may wait for a prompt; timeout: a usage error must never start a command (serve)
    return subprocess.run([str(WARDSAFE), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=60)


def test_help_lists_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "wardsafe", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("redact", "serve", "policy", "audit", "staff", "models"):
        assert command in out.stdout


# (command line, what the one error line must say). Every command and sub-command, every kind of usage error.
USAGE_ERRORS = [
    (["redact", "x.mp4", "--bogus"], ["no such option: --bogus", "(see 'wardsafe redact --help')"]),
    (["redact", "x.mp4", "--outptu", "y.mp4"], ["no such option: --outptu; did you mean --output?"]),
    (["redact"], ["missing argument", "(see 'wardsafe redact --help')"]),
    (["redact", "x.mp4", "--threshold", "abc"], ["invalid value for '--threshold'"]),
    (["redact", "x.mp4", "--threshold", "5"], ["invalid value for '--threshold'", "0.99"]),
    (["redact", "x.mp4", "--keep", "two"], ["invalid value for '--keep'"]),
    (["redact", "x.mp4", "-o"], ["option '-o' requires an argument", "(see 'wardsafe redact --help')"]),
    (["redact", "x.mp4", "--bo\ngus"], ["no such option"]),  # a newline typed into the command stays on one line
    (["nosuchcmd"], ["no such command 'nosuchcmd'", "(see 'wardsafe --help')"]),
    (["redcat", "x.mp4"], ["no such command 'redcat'; did you mean 'redact'?"]),
    (["--bogus"], ["no such option: --bogus", "(see 'wardsafe --help')"]),
    (["--versoin"], ["did you mean --version?"]),
    (["policy", "chek"], ["no such command 'chek'; did you mean 'check'?", "(see 'wardsafe policy --help')"]),
    (["policy", "check", "a.yaml", "b.yaml"], ["unexpected extra argument", "(see 'wardsafe policy check --help')"]),
    (["audit", "--bogus"], ["no such option: --bogus", "(see 'wardsafe audit --help')"]),
    (["audit", "export"], ["missing option '--fhir'", "(see 'wardsafe audit export --help')"]),
    (["audit", "export", "--fhir"], ["option '--fhir' requires an argument", "(see 'wardsafe audit export --help')"]),
    (["audit", "verify", "--expect-haed", "abc"], ["did you mean --expect-head?"]),
    (["staff", "add", "bob"], ["missing option '--name'", "(see 'wardsafe staff add --help')"]),
    (["staff", "disable"], ["missing argument", "(see 'wardsafe staff disable --help')"]),
    (["staff", "remove", "bob"], ["no such command 'remove'", "(see 'wardsafe staff --help')"]),
    (["serve", "--port", "http"], ["invalid value for '--port'", "(see 'wardsafe serve --help')"]),
    (["serve", "--port", "70000"], ["invalid value for '--port'"]),
    (["serve", "--hots", "0.0.0.0"], ["did you mean --host"]),
    (["models", "shwo"], ["did you mean 'show'?", "(see 'wardsafe models --help')"]),
    (["models", "prepare", "--bogus"], ["no such option: --bogus", "(see 'wardsafe models prepare --help')"]),
]


@pytest.mark.parametrize("args,expected", USAGE_ERRORS, ids=[" ".join(a).replace("\n", "\\n") for a, _ in USAGE_ERRORS])
def test_usage_error_is_one_line_and_exit_code_2(args: list[str], expected: list[str]) -> None:
    run = wardsafe(*args)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    for text in expected:
        assert text in lines[0]
    assert run.stdout == ""  # no usage block, no help dump


@pytest.mark.parametrize("args", [
    ["--help"], ["redact", "--help"], ["policy", "--help"], ["policy", "check", "--help"], ["audit", "--help"],
    ["audit", "export", "--help"], ["staff", "add", "--help"], ["serve", "--help"], ["models", "show", "--help"],
])
def test_help_still_works(args: list[str]) -> None:
    run = wardsafe(*args)
    assert run.returncode == 0, run.stderr
    assert f"Usage: {' '.join(['wardsafe', *args[:-1]])}" in run.stdout
    assert run.stderr == ""


@pytest.mark.parametrize("args", [[], ["policy"], ["staff"]])
def test_a_group_without_a_command_prints_its_help(args: list[str]) -> None:
    # Nothing asked: the help is the answer; the exit code is Click's for "no command given".
    run = wardsafe(*args)
    assert run.returncode == 2
    assert f"Usage: {' '.join(['wardsafe', *args])} [OPTIONS] COMMAND" in run.stdout
    assert run.stderr == ""


def test_version() -> None:
    run = wardsafe("--version")
    assert run.returncode == 0 and run.stdout.startswith("wardsafe ")
