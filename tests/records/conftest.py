"""The record store under test: every test here runs once on SQLite and once on PostgreSQL.

PostgreSQL is the server scripts/test started (CURBSIDE_TEST_PG_URL); each test gets a fresh
database on it, dropped afterwards. If the server is not there the tests fail, not skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from curbside.adapters.records.engine import record_engine
from tests.records.databases import BACKENDS, empty_records_database


@pytest.fixture(params=BACKENDS)
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own, on each of the two back-ends."""
    with empty_records_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(records_url: str) -> Iterator[Engine]:
    """An engine on this test's empty database."""
    created = record_engine(records_url)
    yield created
    created.dispose()
