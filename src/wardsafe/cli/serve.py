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
        from wardsafe.web import create_app
        from wardsafe.web.serving import run_server

        settings = get_settings()
        if not settings.public_url:
            if not is_loopback_host(host):
                raise ConfigError(
                    f"serving on {host} needs WARDSAFE_PUBLIC_URL, the address patients' phones reach "
                    "(links and QR codes are built on it, never on the Host header)"
                )
            settings = replace(settings, public_url=f"http://{host}:{port}")
        try:
            from wardsafe.jobs.local import LocalQueue
            from wardsafe.jobs.retention import start_sweeping
            from wardsafe.store.service import PermissionService

            # Redaction jobs run in this process (WARDSAFE_JOB_WORKERS threads; 0: workers run elsewhere).
            service = PermissionService.from_settings(settings)
            queue: LocalQueue | None = None
            if settings.queue == "celery":
                from wardsafe.jobs.celery_queue import CeleryQueue

                web_app = create_app(settings, service=service, queue=CeleryQueue())
            elif settings.queue != "local":
                raise ConfigError(f"WARDSAFE_QUEUE must be local or celery, not {settings.queue!r}")
            else:
                queue = LocalQueue(service, settings.job_workers) if settings.job_workers else None
                web_app = create_app(settings, service=service, queue=queue)
        except PolicyError as exc:
            # Every problem on its own line; main() then prints the summary and exits non-zero.
            for problem in exc.problems:
                typer.echo(f"policy: {problem}", err=True)
            raise
        if queue is not None:
            queue.start()  # resumes jobs a stopped server left queued or running
        sweeping = start_sweeping(service)
        typer.echo(f"WardSafe is serving on http://{host}:{port}/", err=True)
        try:
            run_server(web_app, host, port, settings.trusted_proxies)
        finally:
            sweeping.set()
            if queue is not None:
                queue.stop()
