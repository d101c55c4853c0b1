import subprocess
import sys


def test_help_lists_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "wardsafe", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("redact", "serve", "policy", "audit", "staff", "models"):
        assert command in out.stdout
