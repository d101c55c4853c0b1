"""Times shown to people: always in the trust's time zone, never in the server's."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def local_time(moment: datetime | None, timezone: str) -> str:
    """``moment`` as "Sun 29 Nov 2026, 14:05 GMT" in ``timezone``; naive datetimes are taken as UTC."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%a %d %b %Y, %H:%M %Z")
