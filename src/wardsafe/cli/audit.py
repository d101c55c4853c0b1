"""``wardsafe audit verify`` and ``wardsafe audit export --fhir OUT.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from wardsafe.audit.chain import AuditChainBroken
from wardsafe.errors import InputError
from wardsafe.media.atomic import atomic_output

audit_app = typer.Typer(help="Verify and export the audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    expect_head: Annotated[
        str | None,
        typer.Option("--expect-head", help="Head hash recorded earlier (e.g. by a previous verify) that must match."),
    ] = None,
) -> None:
    """Check the keyed hash chain, then replay it against every request, decision, permit and account:
    exits non-zero naming the first broken row, or each database row that disagrees with the trail."""
    report = _service().audit_verify()
    if report.first_bad_seq is not None:
        raise AuditChainBroken(f"audit trail broken at row {report.first_bad_seq}: {report.problem}")
    if report.mismatches:
        for line in report.mismatches:
            typer.echo(f"disagrees: {line}", err=True)
        raise AuditChainBroken(f"{len(report.mismatches)} database rows disagree with the audit trail")
    if not report.ok:
        raise AuditChainBroken(f"audit trail broken: {report.problem}")
    if expect_head and expect_head != report.head_hash:
        # A trail cut back to an earlier row, head included, is only caught against an outside record.
        raise AuditChainBroken(f"audit trail head is {report.head_hash}, not the expected {expect_head}")
    typer.echo(f"audit trail intact and matches the database: {report.rows} rows, head {report.head_hash}")


@audit_app.command("export")
def export(
    fhir: Annotated[
        Path, typer.Option("--fhir", help="Write a FHIR R4 Bundle (Consent + AuditEvent) to this JSON file.")
    ],
) -> None:
    """Export every permit as a FHIR Consent and every audit row as an AuditEvent, in one Bundle."""
    if fhir.exists() and fhir.is_dir():
        raise InputError(f"{fhir}: is a folder; give an output file name")
    bundle = _service().export_fhir(actor_id=None)
    with atomic_output(fhir) as temp:
        temp.write_text(json.dumps(bundle, indent=2, ensure_ascii=False), encoding="utf-8")
    counts: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    typer.echo(f"wrote {fhir}: {counts.get('Consent', 0)} Consent, {counts.get('AuditEvent', 0)} AuditEvent")


def _service():  # type: ignore[no-untyped-def]
    # Imported when a command runs, so that other commands start without loading the database stack.
    from wardsafe.store.service import PermissionService

    return PermissionService.from_settings()


def register(app: typer.Typer) -> None:
    """Adds ``wardsafe audit ...`` to the CLI."""
    app.add_typer(audit_app, name="audit")
