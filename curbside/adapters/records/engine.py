"""Connecting to the record store: one engine per process, SQLite or PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker


def record_engine(url: str) -> Engine:
    """An engine for ``url``; an SQLite file's folder is created, and SQLite set up for a
    writer (the recorder) beside readers (the API): WAL, foreign keys, a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping: a PostgreSQL restarted under a long-lived process costs one retry, not an error.
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (the recorder reads what it wrote)."""
    return sessionmaker(engine, expire_on_commit=False)


def is_outage(exc: DBAPIError) -> bool:
    """Whether a record-store error means the database is unreachable (worth a retry, or a 503),
    not a fault in the statement: a dropped connection, or the driver's OperationalError
    (psycopg: refused, closed by the server, ...)."""
    return exc.connection_invalidated or type(exc.orig).__name__ == "OperationalError"
