"""Applying the record store's Alembic migrations, which ship inside this package."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

HEAD = "head"


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration for our migrations, bound to ``engine`` (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", "curbside.adapters.records:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = HEAD) -> None:
    """Bring the database up to ``revision`` (default: the newest); a no-op when there."""
    with _one_migrator(engine):
        command.upgrade(alembic_config(engine), revision)


@contextmanager
def _one_migrator(engine: Engine) -> Iterator[None]:
    # The recorder and the API both migrate at start-up. PostgreSQL serialises them with an
    # advisory lock (migrations/env.py); an SQLite file gets a lock file beside it, since
    # SQLite runs DDL outside a transaction and two migrators would both create the tables.
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with Path(f"{database}.migrate-lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to ``revision``."""
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty one."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """The newest revision this code ships."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
