"""An empty record store of a test's own, on SQLite or on the PostgreSQL scripts/test started
(CURBSIDE_TEST_PG_URL): record tests run on both (docs/records.md)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

BACKENDS = ("sqlite", "postgresql")
DEFAULT_PG_URL = "postgresql+psycopg://curbside:curbside-dev-only@127.0.0.1:15432/curbside"


def pg_admin_url() -> str:
    """The PostgreSQL that scripts/test started, as its ``curbside`` database."""
    return os.environ.get("CURBSIDE_TEST_PG_URL", DEFAULT_PG_URL)


@contextmanager
def empty_records_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database on ``backend``; a PostgreSQL one is dropped after.
    If the server is not there the test fails, not skips."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.sqlite3'}"
        return
    admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is not answering at {make_url(pg_admin_url()).render_as_string()}: "
            f"run the suite with scripts/test (it starts it). {exc.orig}"
        )
    try:
        yield make_url(pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
