"""``wardsafe serve``: the web app for patients, staff and governance."""

from __future__ import annotations

from dataclasses import replace

import typer

from wardsafe.config import get_settings, is_loopback_host
from wardsafe.errors import ConfigError
from wardsafe.permits.errors import PolicyError


def register(app: typer.Typer) -> None:
    """Adds the serve command to the CLI."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    ) -> None:
        """Serve the web app; refuses a bad policy, or a public address without WARDSAFE_PUBLIC_URL."""

        settings = get_settings()
        if not settings.public_url:
            if not is_loopback_host(host):
                raise ConfigError(
                    f"serving on {host} needs WARDSAFE_PUBLIC_URL, the address patients' phones reach "
                    "(links and QR codes are built on it, never on the Host header)"
                )
            settings = replace(settings, public_url=f"http://{host}:{port}")
        try:
            from wardsafe.store.service import PermissionService
            from wardsafe.web.serving import serve_with_jobs

            service = PermissionService.from_settings(settings)
        except PolicyError as exc:
            # Every problem on its own line; main() then prints the summary and exits non-zero.
            for problem in exc.problems:
                typer.echo(f"policy: {problem}", err=True)
            raise
        typer.echo(f"WardSafe is serving on http://{host}:{port}/", err=True)
        serve_with_jobs(settings, service, host, port)
