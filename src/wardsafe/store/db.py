"""Database engine, sessions and migrations.

SQLite (the default, one file under ``WARDSAFE_DATA_DIR``) and PostgreSQL (``WARDSAFE_DATABASE_URL``,
``postgresql+psycopg://...``) behave the same to the rest of WardSafe: every write happens inside
``session_scope``, which commits or rolls back as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from wardsafe.config import private_file, private_folder
from wardsafe.errors import ConfigError

# Migrations ship inside the package so that they run from an installed wheel.
MIGRATIONS = Path(__file__).with_name("migrations")
READ_ONLY_OPTION = "wardsafe_read_only"


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite gets a busy timeout, WAL and write-locking transactions.

    SQLite transactions start with BEGIN IMMEDIATE so that two writers never both read the audit
    chain's head and then collide; the second simply waits for the first.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a long message
        raise ConfigError(f"invalid database URL: {exc}") from None
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)

    if parsed.database and parsed.database != ":memory:":
        # Created private before SQLite touches it: the file holds patients' names and contacts, and
        # SQLite gives its -wal and -shm files the database file's own mode.
        database = Path(parsed.database).expanduser()
        private_folder(database.parent)
        private_file(database)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, decide when transactions begin (so BEGIN IMMEDIATE works).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # Readers take no write lock, so that with WAL they never wait for writers.
        read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """One transaction: commits if the block finishes, rolls back everything if it raises.

    ``read_only`` transactions must not write; on SQLite they then run beside a writer.
    """
    session = factory()
    try:
        with session.begin():
            if read_only:
                session.connection(execution_options={READ_ONLY_OPTION: True})
            yield session
    finally:
        session.close()


def init_db(url: str) -> Engine:
    """Creates or upgrades the database at ``url`` to the newest schema (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.connect() as connection:
            # env.py uses this connection rather than building its own from a URL string.
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    except (OperationalError, InterfaceError) as exc:
        engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise ConfigError(f"cannot open the database {shown}: {reason}") from None
    return engine
