"""Load check of the permission web app: 200 concurrent simulated patients and staff on loopback.

    .venv/bin/python bench/api.py                 # SQLite, then PostgreSQL
    .venv/bin/python bench/api.py --db sqlite     # one backend only
    .venv/bin/python bench/api.py --users 200 --staff 40 --deadline 120

The real server runs in a child process (uvicorn, one worker) over a fresh database: a SQLite file,
or a database on a throwaway PostgreSQL server (tests/pgserver.py). Patients create requests through
the JSON API (each naming two members of staff) and poll their status; staff sign in and decide
everything in their inbox. Every user stops after a bounded number of steps, and the whole run after
``--deadline`` seconds. Prints the number of errors (any non-2xx answer or failed connection) and
p50/p99 latency per kind of call. The server's per-IP rate limits are raised for the run: every
simulated user shares 127.0.0.1. Staff sessions are the real server-side ones (a row per sign-in, read
on every staff call), and the audit chain is keyed as in production (a random key for the run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
AREA = "radiotherapy-1"
PASSWORD = "bench-password"


# ---- the server (child process) ------------------------------------------------------------------


def serve(db_url: str, data_dir: str, port: int) -> None:
    """Child mode: the real app over ``db_url`` with rate limits raised, until terminated."""
    from wardsafe.config import Settings
    from wardsafe.store.policy_source import load_policy
    from wardsafe.store.service import PermissionService
    from wardsafe.web import create_app
    from wardsafe.web.context import WebLimits
    from wardsafe.web.serving import run_server

    service = PermissionService.open(db_url, load_policy())
    limits = WebLimits(patient_requests=1_000_000, logins=1_000_000)
    app = create_app(Settings(data_dir=Path(data_dir), database_url=db_url), service=service, limits=limits)
    import logging

    logging.getLogger("uvicorn.access").disabled = True  # 2 cores: don't spend them printing lines
    run_server(app, "127.0.0.1", port)


def seed(db_url: str, staff_count: int) -> list[str]:
    """Creates the staff accounts (all working in AREA); returns their usernames."""
    from wardsafe.store.policy_source import load_policy
    from wardsafe.store.service import PermissionService

    service = PermissionService.open(db_url, load_policy())
    names = [f"nurse{i:03d}" for i in range(staff_count)]
    for name in names:
        service.add_staff(name, f"Nurse {name}", PASSWORD, areas=[AREA])
    service.engine.dispose()
    return names


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db_url: str, data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    """Starts the child server and waits until /healthz answers."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", db_url, "--data-dir", data_dir, "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"the server exited with {child.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return child, base
        except httpx.TransportError:
            time.sleep(0.2)
    child.terminate()
    raise SystemExit("the server did not start within 60 s")


# ---- the load (this process) ---------------------------------------------------------------------


class Recorder:
    """Latencies per kind of call, and errors."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_examples: list[str] = []

    async def call(self, client: httpx.AsyncClient, kind: str, method: str, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        """One timed call; a non-2xx answer or a failed connection counts as an error."""
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self._error(kind, f"{kind}: {type(exc).__name__}")
            return None
        self.latencies[kind].append(time.perf_counter() - start)
        if not response.is_success:
            self._error(kind, f"{kind}: HTTP {response.status_code} {response.text[:120]}")
            return None
        return response

    def _error(self, kind: str, example: str) -> None:
        self.errors[kind] += 1
        if len(self.error_examples) < 5:
            self.error_examples.append(example)


def session_cookie(response: httpx.Response) -> str:
    """The session cookie as a Cookie header value. The cookie is Secure, which httpx's jar would not
    send over plain http to loopback, so the simulated browser keeps it itself."""
    for header in response.headers.get_list("set-cookie"):
        first = header.split(";", 1)[0]
        if first.startswith("wardsafe_session="):
            return first
    raise RuntimeError("no session cookie")


async def patient(
    client: httpx.AsyncClient, rec: Recorder, index: int, staff: list[str], stop_at: float, polls: int, delay: float
) -> None:
    """After ``delay`` s, creates one request naming two staff, then checks its status a few times."""
    await asyncio.sleep(delay)
    pair = [staff[index % len(staff)], staff[(index + 1) % len(staff)]]
    body = {
        "area_id": AREA,
        "media": ["video"],
        "purpose": "family",
        "patient_name": f"Patient {index}",
        "contact": f"07700 9{index:05d}",
        "staff": pair,
    }
    created = await rec.call(client, "patient: create request", "POST", "/api/requests", json=body)
    if created is None:
        return
    token = created.json()["token"]
    for _ in range(polls):
        if time.monotonic() > stop_at:
            return
        await asyncio.sleep(1.0)
        await rec.call(client, "patient: read status", "GET", f"/api/requests/{token}")


async def staff_member(
    client: httpx.AsyncClient, rec: Recorder, username: str, stop_at: float, expected: int, delay: float
) -> int:
    """After ``delay`` s, signs in, then decides (agree) everything in the inbox until ``expected``
    decisions are made, looking again every half second."""
    await asyncio.sleep(delay)
    signed = await rec.call(
        client, "staff: sign in", "POST", "/api/session", json={"username": username, "password": PASSWORD}
    )
    if signed is None:
        return 0
    headers = {"Cookie": session_cookie(signed), "X-CSRF-Token": signed.json()["csrf_token"]}
    decided = 0
    while decided < expected and time.monotonic() < stop_at:
        inbox = await rec.call(client, "staff: read inbox", "GET", "/api/staff/inbox", headers=headers)
        for item in inbox.json() if inbox is not None else []:
            url = f"/api/staff/requests/{item['code']}/decision"
            if await rec.call(client, "staff: decide", "POST", url, json={"decision": "agree"}, headers=headers):
                decided += 1
        await asyncio.sleep(0.5)
    return decided


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def run_load(
    base: str, staff: list[str], users: int, deadline: float, polls: int, ramp: float
) -> tuple[Recorder, float, int]:
    """Runs ``users`` concurrent users (the staff plus patients), each starting at a random moment in
    the first ``ramp`` seconds; returns the recorder, wall time and the number of decisions made."""
    rec = Recorder()
    jitter = random.Random(7)  # the same start times on every run, so runs compare
    patients = users - len(staff)
    expected = defaultdict(int)
    for index in range(patients):
        expected[staff[index % len(staff)]] += 1
        expected[staff[(index + 1) % len(staff)]] += 1
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends, as browsers do, so that a
    # request never races the server closing its connection.
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users, keepalive_expiry=2.0)
    start = time.monotonic()
    stop_at = start + deadline
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        tasks = [
            patient(client, rec, i, staff, stop_at, polls, jitter.uniform(0, ramp)) for i in range(patients)
        ]
        staff_tasks = [
            staff_member(client, rec, name, stop_at, expected[name], jitter.uniform(0, ramp)) for name in staff
        ]
        results = await asyncio.gather(*tasks, *staff_tasks)
    decided = sum(r for r in results if isinstance(r, int))
    return rec, time.monotonic() - start, decided


def report(label: str, rec: Recorder, wall: float, decided: int, expected_decisions: int) -> int:
    """Prints one backend's results; returns its error count."""
    every = [v for values in rec.latencies.values() for v in values]
    errors = sum(rec.errors.values())
    missing = expected_decisions - decided
    print(f"\n== {label}: {len(every)} calls in {wall:.1f} s ({len(every) / wall:.0f}/s), "
          f"{errors} errors, {decided}/{expected_decisions} decisions made")  # fmt: skip
    print(f"   {'call':<26}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in sorted(rec.latencies):
        values = rec.latencies[kind]
        print(f"   {kind:<26}{len(values):>7}{percentile(values, 50) * 1000:>9.1f}"
              f"{percentile(values, 99) * 1000:>9.1f}{max(values) * 1000:>9.1f}")  # fmt: skip
    if every:
        p50, p99, mean = percentile(every, 50), percentile(every, 99), statistics.mean(every)
        print(f"   {'all':<26}{len(every):>7}{p50 * 1000:>9.1f}{p99 * 1000:>9.1f}{max(every) * 1000:>9.1f}"
              f"   mean {mean * 1000:.1f}")  # fmt: skip
    for example in rec.error_examples:
        print(f"   error: {example}")
    if missing:
        print(f"   {missing} decisions were not made before the deadline")
    return errors + max(missing, 0)


def bench_backend(backend: str, args: argparse.Namespace, stack: ExitStack) -> int:
    """Runs the load against one backend; returns its error count."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"wardsafe-bench-{backend}-")))
    if backend == "sqlite":
        db_url = f"sqlite:///{tmp / 'wardsafe.db'}"
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from pgserver import running_postgres

        server = stack.enter_context(running_postgres())
        db_url = server.create_database()
    staff = seed(db_url, args.staff)
    child, base = start_server(db_url, str(tmp / "data"))
    try:
        cpu_before = cpu_seconds(child.pid)
        rec, wall, decided = asyncio.run(run_load(base, staff, args.users, args.deadline, args.polls, args.ramp))
        server_cpu = cpu_seconds(child.pid) - cpu_before
    finally:
        child.terminate()
        child.wait(timeout=20)
    label = f"{backend}, {args.users} concurrent users ({args.users - args.staff} patients, {args.staff} staff)"
    errors = report(label, rec, wall, decided, 2 * (args.users - args.staff))
    calls = sum(len(v) for v in rec.latencies.values())
    if server_cpu > 0 and calls:
        per_call = server_cpu / calls * 1000
        print(f"   server process CPU: {server_cpu:.1f} s ({per_call:.1f} ms a call, sign-ins included);"
              f" load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    return errors


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main() -> None:
    """Parses arguments; runs the load against each backend asked for; exits 1 if any call failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=200, help="concurrent simulated users (patients + staff)")
    parser.add_argument("--staff", type=int, default=40, help="how many of them are staff")
    parser.add_argument("--polls", type=int, default=3, help="status reads per patient")
    parser.add_argument("--ramp", type=float, default=5.0, help="users start at random in these first seconds")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds before every user stops")
    parser.add_argument("--serve", metavar="DB_URL", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.data_dir, args.port)
        return
    if not 0 < args.staff < args.users:
        parser.error("--staff must be between 1 and --users - 1")
    # The seeding process and the server child must share the audit chain's key (kept out of the database).
    os.environ.setdefault("WARDSAFE_AUDIT_KEY", secrets.token_urlsafe(48))
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    failures = 0
    for backend in backends:
        with ExitStack() as stack:
            failures += bench_backend(backend, args, stack)
    print(f"\n{'0 errors' if failures == 0 else f'{failures} errors'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
