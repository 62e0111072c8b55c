"""The record store under test: every test here runs once on SQLite and once on PostgreSQL.

PostgreSQL is the server scripts/test started (CURBSIDE_TEST_PG_URL); each test gets a fresh
database on it, dropped afterwards. If the server is not there the tests fail, not skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from curbside.adapters.records.engine import record_engine

DEFAULT_PG_URL = "postgresql+psycopg://curbside:curbside-dev-only@127.0.0.1:15432/curbside"


def pg_admin_url() -> str:
    """The PostgreSQL that scripts/test started, as its ``curbside`` database."""
    return os.environ.get("CURBSIDE_TEST_PG_URL", DEFAULT_PG_URL)


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own, on each of the two back-ends."""
    if request.param == "sqlite":
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
    yield make_url(pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(records_url: str) -> Iterator[Engine]:
    """An engine on this test's empty database."""
    created = record_engine(records_url)
    yield created
    created.dispose()
