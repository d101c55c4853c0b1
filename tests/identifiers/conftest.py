"""One analyzer per test session: building it loads spaCy and the name lists (about 3 s)."""

from __future__ import annotations

import pytest

from wardsafe.identifiers import IdentifierAnalyzer, IdentifierSettings, get_analyzer


@pytest.fixture(scope="session")
def analyzer() -> IdentifierAnalyzer:
    """The analyzer with default settings (not the environment's), shared by every test."""
    return get_analyzer(IdentifierSettings())
