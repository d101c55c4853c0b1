"""WardSafe: permission, redaction and audit for recordings made in hospitals."""

__version__ = "0.1.0"
