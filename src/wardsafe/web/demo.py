"""``make run``: the server on http://127.0.0.1:8000 with SQLite, the default policy and demo staff.

The demo accounts are created once (idempotently) and their credentials printed: they exist only to
try the journey on one machine and must never be created on a real deployment.
"""

from __future__ import annotations

import sys

from wardsafe.config import Settings, get_settings
from wardsafe.errors import InputError, WardSafeError
from wardsafe.store.service import PermissionService

DEMO_PASSWORD = "wardsafe-demo"
DEMO_AREA = "radiotherapy-1"
# username, display name, role, areas
DEMO_STAFF: list[tuple[str, str, str, list[str]]] = [
    ("alex", "Alex Morgan (radiographer)", "staff", [DEMO_AREA, "chemo-day-unit"]),
    ("sam", "Sam Patel (radiographer)", "staff", [DEMO_AREA]),
    ("jo", "Jo Okafor (ward manager)", "manager", [DEMO_AREA, "chemo-day-unit", "outpatients-3"]),
    ("governance", "Information governance", "admin", []),
]


def seed_demo_staff(service: PermissionService) -> list[str]:
    """Creates the demo accounts that do not exist yet; returns the usernames it created."""
    created = []
    for username, name, role, areas in DEMO_STAFF:
        known_areas = [a for a in areas if a in {area.id for area in service.policy.areas}]
        try:
            service.add_staff(username, name, DEMO_PASSWORD, role=role, areas=known_areas)  # type: ignore[arg-type]
            created.append(username)
        except InputError as exc:
            if "taken" not in str(exc):
                raise
    return created


def main(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
    """Seeds the demo staff, prints where to go and how to sign in, and serves until Ctrl-C."""
    from wardsafe.web.serving import serve_with_jobs

    settings = settings or get_settings()
    try:
        service = PermissionService.from_settings(settings)
        seed_demo_staff(service)
    except WardSafeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    base = f"http://{host}:{port}"
    first_area = service.policy.areas[0].id if service.policy.areas else DEMO_AREA
    print("WardSafe demo")
    print(f"  patient request form : {base}/a/{first_area}")
    print(f"  staff sign-in        : {base}/login")
    print(f"  all areas            : {base}/")
    print(f"  JSON API             : {base}/openapi.json")
    print(f"  demo staff (password '{DEMO_PASSWORD}' for each):")
    for username, name, role, _areas in DEMO_STAFF:
        print(f"    {username:<11} {role:<8} {name}")
    print(f"  database             : {settings.resolved_database_url}")
    print("  safe-share           : a permitted request's page takes an upload; jobs run in this process")
    sys.stdout.flush()
    serve_with_jobs(settings, service, host, port)


if __name__ == "__main__":
    main()
