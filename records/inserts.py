"""Portable "insert unless already there" for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(db: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those whose key is already there (a redelivered report, a
    collection seen again)."""
    statement: Insert
    if db.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(table).values(rows).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).values(rows).on_conflict_do_nothing()
    db.execute(statement)
