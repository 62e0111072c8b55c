"""Alembic's entry: run the migrations on the engine curbside.adapters.records.migrate hands
over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from curbside.adapters.records.models import Base

# Any number for the lock, as long as it is always this one.
MIGRATION_LOCK = 0x0C0B51DE

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # The recorder and the API both migrate at start-up: the second waits for the first,
        # then finds nothing left to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
