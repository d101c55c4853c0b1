"""What the recognisers return: a type and a character span, never the text itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IdentifierType(StrEnum):
    """The kinds of identifier WardSafe hides."""

    NAME = "NAME"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    DATE = "DATE"
    NHS_NUMBER = "NHS_NUMBER"
    HOSPITAL_NUMBER = "HOSPITAL_NUMBER"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    POSTCODE = "POSTCODE"
    ADDRESS = "ADDRESS"

    @property
    def label(self) -> str:
        """Words for a transcript or report, e.g. ``DATE OF BIRTH``."""
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier found in a text: ``text[start:end]`` is what to hide.

    It holds no part of the text, so it can be logged and written to reports as it is.
    """

    type: IdentifierType
    start: int
    end: int
    score: float
    # Which recogniser found it (for reports and debugging); never the value.
    source: str = ""

    def overlaps(self, start: int, end: int) -> bool:
        """Whether this identifier shares at least one character with ``[start, end)``."""
        return self.start < end and start < self.end
