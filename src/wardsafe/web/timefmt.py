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


def duration(minutes: float) -> str:
    """A length of time as people say it: "45 min", "2 h 15 min", "3 d 4 h" (rounded to the minute)."""
    total = round(minutes)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def clock(seconds: float) -> str:
    """A time within a recording as a player shows it: "0:07", "1:02:03"."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    mins, secs = divmod(rest, 60)
    return f"{hours}:{mins:02d}:{secs:02d}" if hours else f"{mins}:{secs:02d}"
