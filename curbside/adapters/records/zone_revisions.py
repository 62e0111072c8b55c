"""Zone revisions: one number per parking zone that the recorder changes in the same
transaction as the zone's stays or charges, so that a reader holding a window of a zone's
sessions learns from one primary-key read whether it must read them again."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from curbside.adapters.records.models import ZoneRevision


@cache
def _bumping(dialect: str) -> Insert:
    # One statement per database, executed with a parameter set per zone: compiled once.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(ZoneRevision).on_conflict_do_update(
        index_elements=[ZoneRevision.zone], set_={"revision": ZoneRevision.revision + 1}
    )


def bump(db: Session, zones: Iterable[str]) -> None:
    """Change the revision of each of ``zones`` (whose stays or charges this transaction
    changes). In sorted order, so two writers cannot deadlock on them."""
    rows = [{"zone": zone, "revision": 1} for zone in sorted(set(zones))]
    if rows:
        db.connection().execute(_bumping(db.get_bind().dialect.name), rows)


def revision_of(db: Session, zone: str) -> int:
    """The zone's revision: 0 until the recorder first changes its stays."""
    found = db.scalar(select(ZoneRevision.revision).where(ZoneRevision.zone == zone))
    return 0 if found is None else found


def all_revisions(db: Session) -> dict[str, int]:
    """Every zone's revision (zones the recorder never changed are absent: revision 0)."""
    rows = db.execute(select(ZoneRevision.zone, ZoneRevision.revision)).all()
    return {zone: revision for zone, revision in rows}
