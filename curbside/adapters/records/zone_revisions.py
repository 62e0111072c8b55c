"""Zone revisions: one number per parking zone that the recorder moves in the same transaction
as the zone's stays or charges, and beside it, per space, the zone's revision when that space's
stays last changed. A reader holding a window of a zone's sessions learns from one primary-key
read whether it must read again, and from one more which spaces' stays to read."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from curbside.adapters.records.models import SpaceRevision, ZoneRevision


@cache
def _bumping_zone(dialect: str) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(ZoneRevision)
        .on_conflict_do_update(
            index_elements=[ZoneRevision.zone], set_={"revision": ZoneRevision.revision + 1}
        )
        .returning(ZoneRevision.revision)
    )


@cache
def _marking_spaces(dialect: str) -> Insert:
    # One statement per database, executed with a parameter set per space: compiled once.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SpaceRevision)
    return statement.on_conflict_do_update(
        index_elements=[SpaceRevision.zone, SpaceRevision.space],
        set_={"revision": statement.excluded.revision},
    )


def bump(db: Session, spaces: Iterable[tuple[str, str]]) -> None:
    """Move the revision of the zone of each of ``spaces`` (zone, space) whose stays or
    charges this transaction changes, and mark those spaces with it. Zones in sorted order,
    so two writers cannot deadlock on them."""
    by_zone: dict[str, set[str]] = {}
    for zone, space in spaces:
        by_zone.setdefault(zone, set()).add(space)
    if not by_zone:
        return
    dialect = db.get_bind().dialect.name
    connection = db.connection()
    marks = []
    for zone in sorted(by_zone):
        revision = connection.execute(
            _bumping_zone(dialect), {"zone": zone, "revision": 1}
        ).scalar_one()
        marks += [{"zone": zone, "space": s, "revision": revision} for s in sorted(by_zone[zone])]
    connection.execute(_marking_spaces(dialect), marks)


def revision_of(db: Session, zone: str) -> int:
    """The zone's revision: 0 until the recorder first changes its stays."""
    found = db.scalar(select(ZoneRevision.revision).where(ZoneRevision.zone == zone))
    return 0 if found is None else found


def spaces_changed_since(db: Session, zone: str, revision: int) -> set[str]:
    """The zone's spaces whose stays changed after the zone had ``revision``."""
    return set(
        db.scalars(
            select(SpaceRevision.space).where(
                SpaceRevision.zone == zone, SpaceRevision.revision > revision
            )
        )
    )


def all_revisions(db: Session) -> dict[str, int]:
    """Every zone's revision (zones the recorder never changed are absent: revision 0)."""
    rows = db.execute(select(ZoneRevision.zone, ZoneRevision.revision)).all()
    return {zone: revision for zone, revision in rows}
