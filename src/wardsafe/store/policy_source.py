"""Reading the policy file: the configured one, or the default policy shipped in the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from wardsafe.errors import ConfigError
from wardsafe.permits.policy import Policy, parse_policy


def default_policy_text() -> str:
    """The YAML of the default policy shipped with WardSafe."""
    return resources.files("wardsafe.permits").joinpath("default_policy.yaml").read_text(encoding="utf-8")


def read_policy_text(path: Path) -> str:
    """The text of a policy file; ConfigError (one line) if it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"policy file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read policy file {path}: {exc}") from None


def load_policy(path: Path | None = None) -> Policy:
    """The policy at ``path`` (or the default one), validated; PolicyError lists its problems."""
    return parse_policy(read_policy_text(path) if path else default_policy_text())
