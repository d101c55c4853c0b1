"""Governance pages: every request and decision, the audit trail and its export, incidents, the
dashboard chart and printable area signs. The service enforces who may see what; these pages add
a 403 page before asking it, so the navigation and the answer agree."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wardsafe.permits.errors import NotAllowed
from wardsafe.permits.model import RequestState
from wardsafe.store.service import StaffView
from wardsafe.store.views import AreaMonthCount, Tally, area_name
from wardsafe.web.audit_words import Wording, describe
from wardsafe.web.chart import Bar, Count, bar_chart_svg, bars_svg
from wardsafe.web.context import check_csrf, flash, public_link, render, require_staff, service, unreachable_host
from wardsafe.web.labels import label
from wardsafe.web.qr import qr_svg
from wardsafe.web.timefmt import duration

router = APIRouter(include_in_schema=False)


def _governor(request: Request) -> StaffView:
    staff = require_staff(request)
    if staff.role not in service(request).policy.governance_roles:
        raise NotAllowed("Only information-governance staff can see this page.")
    return staff


def _manager(request: Request) -> StaffView:
    staff = require_staff(request)
    if staff.role not in service(request).policy.dashboard_roles:
        raise NotAllowed("Only managers can see this page.")
    return staff


@router.get("/admin/requests", response_class=HTMLResponse, name="admin_requests")
def admin_requests(request: Request, state: str | None = None) -> HTMLResponse:
    """Every request with each decision, newest first; optionally only those in one state."""
    staff = _governor(request)
    chosen = RequestState(state) if state in {s.value for s in RequestState} else None
    views = service(request).admin_requests(staff.id, chosen)
    context = {"requests": views, "states": list(RequestState), "chosen": chosen}
    return render(request, "admin_requests.html", context, staff=staff)


@router.get("/admin/audit", response_class=HTMLResponse, name="admin_audit")
def admin_audit(request: Request) -> HTMLResponse:
    """The audit chain's check and its newest rows."""
    staff = _governor(request)
    permissions = service(request)
    entries = permissions.audit_entries(staff.id, limit=100)
    report = permissions.audit_verify()
    words = Wording(
        staff_names={s.username: s.display_name for s in permissions.list_staff(staff.id)},
        area_names={a.id: a.name for a in permissions.list_areas()},
        timezone=permissions.timezone,
    )
    rows = [(entry, describe(entry, words)) for entry in entries]
    return render(request, "admin_audit.html", {"rows": rows, "report": report}, staff=staff)


@router.get("/admin/export.fhir.json", name="admin_export")
def admin_export(request: Request) -> Response:
    """Downloads every permit (Consent) and audit row (AuditEvent) as a FHIR R4 Bundle."""
    staff = _governor(request)
    bundle = service(request).export_fhir(staff.id)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return Response(
        json.dumps(bundle, indent=1, default=str),
        media_type="application/fhir+json",
        headers={
            "Content-Disposition": f'attachment; filename="wardsafe-{stamp}.fhir.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/admin/staff", response_class=HTMLResponse, name="admin_staff")
def admin_staff(request: Request) -> HTMLResponse:
    """Every staff account: role, areas, whether it may sign in, and any lock after failed sign-ins."""
    staff = _governor(request)
    accounts = service(request).list_staff(staff.id)
    return render(request, "admin_staff.html", {"accounts": accounts, "now": service(request).clock()}, staff=staff)


@router.post("/admin/staff/{username}/unlock", name="admin_unlock_staff")
def admin_unlock_staff(request: Request, username: str, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """Lifts a lock after failed sign-ins (audited), then shows the accounts again."""
    staff = _governor(request)
    check_csrf(request, csrf_token)
    unlocked = service(request).unlock_staff(username, actor_id=staff.id)
    flash(request, f"{unlocked.display_name} can sign in again.")
    return RedirectResponse(request.url_for("admin_staff").path, status_code=303)


@router.get("/admin/incidents", response_class=HTMLResponse, name="admin_incidents")
def admin_incidents(request: Request) -> HTMLResponse:
    """Logged incidents, newest first."""
    staff = _manager(request)
    incidents = service(request).list_incidents(staff.id)
    return render(request, "admin_incidents.html", {"incidents": incidents}, staff=staff)


@dataclass(frozen=True)
class Figure:
    """One chart of the dashboard with its numbers, shown beside it as a table."""

    id: str
    heading: str
    svg: str
    rows: list[tuple[str, str]]


def _bars(figure_id: str, heading: str, tallies: list[Tally], name: Callable[[str], str] = label) -> Figure:
    """A horizontal bar chart of tallies; a share, where there is one, is written beside the count."""
    bars = [
        Bar(name(t.key), t.count, f"{t.count} ({t.share:.0%})" if t.share is not None else str(t.count))
        for t in tallies
    ]
    return Figure(figure_id, heading, bars_svg(bars, heading), [(b.label, b.text) for b in bars])


def _by_month(figure_id: str, heading: str, counts: list[AreaMonthCount]) -> Figure:
    svg = bar_chart_svg([Count(area=c.area_name, month=c.month, count=c.count) for c in counts], heading)
    rows = sorted((c.month, c.area_name, c.count) for c in counts)
    return Figure(figure_id, heading, svg, [(f"{month}, {area}", str(count)) for month, area, count in rows])


@router.get("/admin/dashboard", response_class=HTMLResponse, name="admin_dashboard")
def admin_dashboard(request: Request) -> HTMLResponse:
    """What governance asks, each as a chart with its numbers beside it: requests by area, state and
    month; staff decisions; the median time to a decision; withdrawals; incidents by kind and month."""
    staff = _manager(request)
    permissions = service(request)
    figures = permissions.dashboard(staff.id)

    def named(area_id: str) -> str:
        return area_name(permissions.policy, area_id)

    charts = [
        _by_month("requests-by-month", "Requests by month and area", figures.requests_by_area_month),
        _bars("requests-by-state", "Requests by state", figures.requests_by_state),
        _bars("requests-by-area", "Requests by area", figures.requests_by_area, named),
        _bars("decisions", "Staff decisions", figures.decisions),
        _bars("withdrawals", "Permits withdrawn, by area", figures.withdrawals_by_area, named),
        _bars("incidents-by-kind", "Incidents by kind", figures.incidents_by_kind),
        _by_month("incidents-by-month", "Incidents by month and area", figures.incidents_by_area_month),
    ]
    wait = figures.median_minutes_to_decision
    context = {"figures": figures, "charts": charts, "median_wait": duration(wait) if wait is not None else None}
    return render(request, "admin_dashboard.html", context, staff=staff)


@router.get("/admin/signs", response_class=HTMLResponse, name="admin_signs")
def admin_signs(request: Request) -> HTMLResponse:
    """Every area, each with a link to its printable sign; a warning first if the signs' links point at
    an address phones cannot reach."""
    staff = _governor(request)
    context = {"areas": service(request).list_areas(), "unreachable": unreachable_host(public_link(request, "home"))}
    return render(request, "admin_signs.html", context, staff=staff)


@router.get("/admin/signs/{area_id}", response_class=HTMLResponse, name="admin_sign")
def admin_sign(request: Request, area_id: str) -> HTMLResponse:
    """A printable A4 sign for one area: its rules in brief and the QR code of its request form."""
    staff = _governor(request)
    area = service(request).get_area(area_id)
    url = public_link(request, "request_form", area_id=area.id)
    # Where nothing is ever allowed, the sign says so and offers no code to scan.
    context = {
        "area": area,
        "url": url,
        "qr": None if area.nothing_allowed else qr_svg(url),
        "unreachable": unreachable_host(url),
    }
    return render(request, "sign.html", context, staff=staff)
