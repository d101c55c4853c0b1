"""Patient tokens and short human codes.

The token is the patient's only key to their request: 192 random bits, stored only as its SHA-256.
Short codes (request ``K7Q-4MP``, permit ``H3KD-9WXT``) are for people to read aloud or type; they
use an alphabet without look-alike characters (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REQUEST_CODE_GROUPS = (3, 3)
PERMIT_CODE_GROUPS = (4, 4)


def new_token() -> str:
    """A new unguessable, URL-safe patient token."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    """What is stored for a token (its SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_code(groups: tuple[int, ...]) -> str:
    """A random code of dash-separated groups, e.g. ``(3, 3)`` gives ``K7Q-4MP``."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(size)) for size in groups)


def normalise_code(text: str, groups: tuple[int, ...]) -> str | None:
    """A code as typed (any case, with or without spaces and dashes) in stored form, or None if it cannot be one."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(compact) != sum(groups) or any(ch not in ALPHABET for ch in compact):
        return None
    parts, start = [], 0
    for size in groups:
        parts.append(compact[start : start + size])
        start += size
    return "-".join(parts)
