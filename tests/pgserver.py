"""A real, throwaway PostgreSQL server for tests and benchmarks.

Starts Debian's ``postgresql`` binaries (``/usr/lib/postgresql/*/bin``; ``make setup`` installs them)
on a fresh ``initdb`` in a temporary folder and a free loopback port, and removes it all on stop.
PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` OS user via
``runuser``. Nothing is mocked: this is the same server a trust would run.

    with running_postgres() as server:
        url = server.create_database()   # postgresql+psycopg://wardsafe@127.0.0.1:PORT/db_1

Used by ``tests/conftest.py`` and ``bench/api.py`` (which puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUPERUSER = "wardsafe"


class PostgresMissing(RuntimeError):
    """PostgreSQL's server binaries are not installed."""


def find_bin_dir() -> Path:
    """The newest installed PostgreSQL bin folder (or ``WARDSAFE_PG_BIN``); PostgresMissing if none."""
    configured = os.environ.get("WARDSAFE_PG_BIN")
    # A folder named explicitly is the only one tried: a wrong setting should not be papered over.
    candidates = (
        [Path(configured)]
        if configured
        else sorted(
            (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
    )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    where = f"WARDSAFE_PG_BIN={configured}" if configured else "/usr/lib/postgresql/*/bin"
    raise PostgresMissing(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found in {where}: run `make setup` "
        "(it installs the Debian package `postgresql`) or set WARDSAFE_PG_BIN to their folder"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in a temporary folder. Call ``start`` then ``stop`` (or use ``running_postgres``)."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.port = 0
        self.root: Path | None = None
        self._names = itertools.count(1)
        # Root may not run postgres: run it as the `postgres` OS user (created by the Debian package).
        self._as_root = os.geteuid() == 0

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder."""
        assert self.root is not None, "server not started"
        return self.root / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.root / "server.log" if self.root else None
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr.strip()}\n{tail}")
        return result

    def start(self) -> None:
        """initdb a new cluster in a temporary folder and start it on a free loopback port."""
        self.root = Path(tempfile.mkdtemp(prefix="wardsafe-pg-"))
        if self._as_root:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresMissing(
                    "the `postgres` OS user is missing: install the Debian package `postgresql`"
                ) from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.root.chmod(0o700)
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
            "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        self.port = free_port()
        # Durability settings are off: a test server is thrown away, and this makes it several times faster.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """Creates a database (empty, or a copy of ``template``) and returns its URL."""
        import psycopg

        name = name or f"db_{next(self._names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True
        ) as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def stop(self) -> None:
        """Stops the server at once and deletes its folder."""
        if self.root is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A started server, stopped and removed when the block ends."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
