"""Plain-English words for the domain's codes, as shown on pages (the API keeps the codes)."""

from __future__ import annotations

import re
from enum import Enum
from urllib.parse import quote

from wardsafe.store.core import contact_kind

LABELS: dict[str, str] = {
    # media
    "photo": "Photos",
    "video": "Video",
    "audio": "Sound recording",
    # purposes
    "personal_record": "For my own record",
    "family": "To share with family and friends",
    "social_media": "To post on social media",
    "consultation_audio": "To remember what was said in my consultation",
    # verdicts
    "allowed": "Allowed",
    "needs_decision": "Allowed only if every member of staff involved agrees",
    "never": "Never allowed here",
    # decisions
    "agree": "Agreed",
    "agree_if_unidentifiable": "Agreed if not identifiable",
    "decline": "Declined",
    # states
    "refused": "Not allowed by the policy",
    "pending": "Waiting for staff",
    "declined": "Declined",
    "permitted": "Permitted",
    "used": "Used for publishing",
    "withdrawn": "Withdrawn",
    "cancelled": "Cancelled",
    "expired": "Expired",
    # incident kinds
    "covert_recording": "Covert recording",
    "recording_after_refusal": "Recording after permission was refused",
    "recording_beyond_permit": "Recording beyond what the permit allows",
    "other": "Other",
}


def label(code: object) -> str:
    """The words for a code (an enum member or its value); the code itself when there are none."""
    if code is None:
        return "Awaiting decision"
    value = code.value if isinstance(code, Enum) else str(code)
    return LABELS.get(value, value.replace("_", " ").capitalize())


def contact_href(contact: str) -> str | None:
    """A ``tel:`` or ``mailto:`` link for a patient's contact, so staff reach them in one tap; None
    when it is neither a phone number nor an e-mail address."""
    text = contact.strip()
    kind = contact_kind(text)  # the service's own rule for what a contact may be
    if kind == "phone":
        return "tel:" + re.sub(r"[^0-9+]", "", text)
    if kind == "email":
        return "mailto:" + quote(text, safe="@.+-_")
    return None
