"""Permission service throughput, in process, on SQLite and on a throwaway PostgreSQL server.

Each round: a patient creates a request naming two staff, both agree (the second issues the
permit), staff verify the permit by its code. Runs ROUNDS rounds with 1 thread and with 8 threads,
then times `audit_verify` over the whole trail. Prints operations a second and p50/p99 latency.

    .venv/bin/python bench/permissions.py [--rounds 200] [--backends sqlite postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(url: str, rounds: int, threads: int) -> None:
    from wardsafe.permits.model import DecisionKind, Media, Purpose
    from wardsafe.store.policy_source import load_policy
    from wardsafe.store.service import NewRequest, PermissionService

    service = PermissionService.open(url, load_policy())
    ids = [
        service.add_staff(f"s{threads}a", "A", "password-a", areas=["radiotherapy-1"]).id,
        service.add_staff(f"s{threads}b", "B", "password-b", areas=["radiotherapy-1"]).id,
    ]
    names = [f"s{threads}a", f"s{threads}b"]
    timings: dict[str, list[float]] = defaultdict(list)

    def timed(name: str, call, *args):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = call(*args)
        timings[name].append(time.perf_counter() - start)
        return result

    def one_round(_: int) -> None:
        new = NewRequest(
            area_id="radiotherapy-1", media=[Media.VIDEO], purpose=Purpose.FAMILY,
            patient_name="P", contact="c", staff=names,
        )  # fmt: skip
        code = timed("create_request", service.create_request, new).request.code
        timed("decide", service.decide, ids[0], code, DecisionKind.AGREE)
        permit = timed("decide", service.decide, ids[1], code, DecisionKind.AGREE).permit
        timed("verify_permit", service.verify_permit, permit.code)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one_round, range(rounds)))
    wall = time.perf_counter() - start
    operations = sum(len(v) for v in timings.values())
    print(
        f"  {threads} thread(s): {rounds} rounds, {operations} operations in {wall:.1f} s = {operations / wall:.0f}/s"
    )
    for name, values in timings.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"    {name:15s} p50 {statistics.median(values) * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms")
    start = time.perf_counter()
    report = service.audit_verify()
    print(f"    audit_verify    {report.rows} rows in {(time.perf_counter() - start) * 1000:.0f} ms (ok={report.ok})")
    service.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for backend in args.backends:
        with ExitStack() as stack:
            if backend == "sqlite":
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wardsafe-bench-")))
                url = f"sqlite:///{folder / 'wardsafe.db'}"
            else:
                sys.path.insert(0, str(ROOT / "tests"))
                from pgserver import running_postgres

                url = stack.enter_context(running_postgres()).create_database()
            print(f"{backend}:")
            for threads in (1, 8):
                run(url, args.rounds, threads)


if __name__ == "__main__":
    main()
