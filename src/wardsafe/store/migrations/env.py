"""Alembic environment: run programmatically by ``wardsafe.store.db.init_db`` with a live connection."""

from __future__ import annotations

from alembic import context

from wardsafe.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through wardsafe.store.db.init_db(url)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
