"""Errors a user can act on. The CLI prints their message as one line and exits non-zero."""


class WardSafeError(Exception):
    """Base of every error that WardSafe reports to a user as one clear line."""

    exit_code = 1


class InputError(WardSafeError):
    """The input file cannot be processed (empty, truncated, wrong type, too large...)."""

    exit_code = 2


class RedactionError(WardSafeError):
    """A stage of redaction failed; no output was written."""

    exit_code = 3


class ConfigError(WardSafeError):
    """Settings or a policy file are invalid."""

    exit_code = 4
