"""Keeping identifiers out of what WardSafe stores about a patient.

A request needs a name staff can call the patient by and a way to reach them, nothing more. People
sometimes type their NHS number into a free-text box; such text is refused rather than stored.
The check itself lives with the other identifier recognisers, in :mod:`wardsafe.identifiers.nhs`.
"""

from __future__ import annotations

from wardsafe.identifiers.nhs import contains_nhs_number, is_valid_nhs_number

__all__ = ["contains_nhs_number", "is_valid_nhs_number"]
