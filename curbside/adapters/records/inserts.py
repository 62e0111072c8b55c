"""Portable "insert unless already there" for SQLite and PostgreSQL."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from curbside.adapters.records.models import Base


@cache
def _ignoring_duplicates(model: type[Base], dialect: str) -> Insert:
    # One statement per table and database, executed with many parameter sets: compiled once.
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()


def insert_ignoring_duplicates(db: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those whose key is already there (a redelivered report, a
    collection seen again)."""
    if rows:
        statement = _ignoring_duplicates(model, db.get_bind().dialect.name)
        db.connection().execute(statement, rows)
