"""Reading and writing cases and their events (curbside/vocabulary/cases.py).

As in parking_store.py, functions take the caller's session and never commit. A step is
saved only onto the state it was taken from (``last_seq``), so two writers (the recorder
verifying by data, a person through the API) can never both move a case from one state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from curbside.adapters.records.models import (
    BinCollection,
    CaseEventRecord,
    CaseRecord,
    ParkingSession,
)
from curbside.adapters.records.outbox_store import enqueue
from curbside.adapters.records.parking_store import CLOSED
from curbside.domain.cases.document import case_message
from curbside.domain.cases.measures import due_at
from curbside.vocabulary.alerts import AlertKind, Domain, Subject
from curbside.vocabulary.cases import Case, CaseEvent, CaseEventKind, CaseStage
from curbside.vocabulary.outbox import Channel


class StaleCase(Exception):
    """The case moved on since it was read: the step was taken from an old state."""


def _local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def _state(case: Case, tz: ZoneInfo) -> dict[str, object]:
    return {
        "stage": str(case.stage),
        "last_seq": case.last_seq,
        "last_at": case.last_at,
        "assignee": case.assignee,
        "verified_by": case.verified_by,
        "closed_at": case.closed_at,
        "escalated_at": case.escalated_at,
        "reworks": case.reworks,
        "judged_day": _local_day(due_at(case), tz),
    }


def _event_row(event: CaseEvent, now: datetime) -> CaseEventRecord:
    return CaseEventRecord(
        case_id=event.case_id,
        seq=event.seq,
        kind=str(event.kind),
        at=event.at,
        by=event.by,
        assignee=event.assignee,
        basis=event.basis,
        recorded_at=now,
    )


def add_case(
    db: Session,
    case: Case,
    opened: CaseEvent,
    tz: ZoneInfo,
    now: datetime,
    *,
    channels: Collection[Channel] = (),
) -> bool:
    """Keep a newly opened case and its first event, queued for hand-off on ``channels``;
    False if it is kept already (the same alert heard again)."""
    if db.get(CaseRecord, case.id) is not None:
        return False
    db.add(
        CaseRecord(
            id=case.id,
            kind=str(case.kind),
            domain=str(case.subject.domain),
            area=case.subject.group,
            device=case.subject.device,
            opened_at=case.opened_at,
            deadline=case.deadline,
            opened_day=_local_day(case.opened_at, tz),
            recorded_at=now,
            **_state(case, tz),
        )
    )
    db.flush()  # the case before its event (the foreign key)
    db.add(_event_row(opened, now))
    enqueue(db, [case_message(case, opened)], channels, now)
    return True


def save_steps(
    db: Session,
    before: Case,
    steps: Sequence[tuple[Case, CaseEvent]],
    tz: ZoneInfo,
    now: datetime,
    *,
    channels: Collection[Channel] = (),
) -> None:
    """Keep the steps taken from ``before``, queued for hand-off on ``channels``;
    :class:`StaleCase` if the case moved on."""
    if not steps:
        return
    after = steps[-1][0]
    moved = db.execute(
        update(CaseRecord)
        .where(CaseRecord.id == before.id, CaseRecord.last_seq == before.last_seq)
        .values(**_state(after, tz))
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleCase(f"case {before.id} changed since step {before.last_seq}")
    db.add_all(_event_row(event, now) for _, event in steps)
    db.flush()
    enqueue(db, [case_message(case, event) for case, event in steps], channels, now)


def case_of(row: CaseRecord) -> Case:
    """The domain's case from its row."""
    return Case(
        id=row.id,
        kind=AlertKind(row.kind),
        subject=Subject(Domain(row.domain), row.area, row.device),
        opened_at=row.opened_at,
        deadline=row.deadline,
        stage=CaseStage(row.stage),
        last_seq=row.last_seq,
        last_at=row.last_at,
        assignee=row.assignee,
        verified_by=row.verified_by,
        closed_at=row.closed_at,
        escalated_at=row.escalated_at,
        reworks=row.reworks,
    )


def load_case(db: Session, case_id: str) -> Case | None:
    """The case with this id, or None."""
    row = db.get(CaseRecord, case_id)
    return None if row is None else case_of(row)


def open_cases(db: Session, kinds: Collection[AlertKind] | None = None) -> list[Case]:
    """Every case not closed (of the ``kinds`` given, else all), oldest first."""
    query = select(CaseRecord).where(CaseRecord.stage != str(CaseStage.CLOSED))
    if kinds is not None:
        query = query.where(CaseRecord.kind.in_([str(k) for k in kinds]))
    return [case_of(row) for row in db.scalars(query.order_by(CaseRecord.opened_at))]


def cases_touching(
    db: Session, first: date, last: date, start: datetime, end: datetime
) -> list[Case]:
    """Cases opened or judged on the local days ``first..last``, or closed in the instants
    ``start..end`` (the same range)."""
    query = select(CaseRecord).where(
        CaseRecord.opened_day.between(first, last)
        | CaseRecord.judged_day.between(first, last)
        | ((CaseRecord.closed_at >= start) & (CaseRecord.closed_at < end))
    )
    return [case_of(row) for row in db.scalars(query)]


def events_of(db: Session, case_ids: Iterable[str]) -> dict[str, list[CaseEvent]]:
    """Each case's events in order."""
    found: dict[str, list[CaseEvent]] = defaultdict(list)
    ids = list(case_ids)
    for start in range(0, len(ids), 500):  # bound the IN list
        rows = db.scalars(
            select(CaseEventRecord)
            .where(CaseEventRecord.case_id.in_(ids[start : start + 500]))
            .order_by(CaseEventRecord.case_id, CaseEventRecord.seq)
        )
        for row in rows:
            found[row.case_id].append(
                CaseEvent(
                    row.case_id,
                    row.seq,
                    CaseEventKind(row.kind),
                    row.at,
                    row.by,
                    assignee=row.assignee,
                    basis=row.basis,
                )
            )
    return dict(found)


def first_collection_after(
    db: Session, district: str, bin_id: str, after: datetime
) -> datetime | None:
    """The first recorded collection of the bin after ``after``, or None."""
    return db.scalar(
        select(func.min(BinCollection.ts)).where(
            BinCollection.district == district,
            BinCollection.bin == bin_id,
            BinCollection.ts > after,
        )
    )


def stay_end_after(db: Session, zone: str, space: str, at: datetime) -> datetime | None:
    """When the recorded stay that was going on at ``at`` ended, if it has."""
    return db.scalar(
        select(func.min(ParkingSession.end)).where(
            ParkingSession.zone == zone,
            ParkingSession.space == space,
            ParkingSession.status == CLOSED,
            ParkingSession.start <= at,
            ParkingSession.end > at,
        )
    )


def list_cases(
    db: Session,
    *,
    closed: bool | None,
    kind: AlertKind | None = None,
    area: tuple[Domain, str] | None = None,
    limit: int = 5000,
) -> list[Case]:
    """Cases newest first: open ones (``closed=False``), closed ones, or all (None); of one
    kind, or of one zone or district (``area``), if given."""
    query = select(CaseRecord)
    if area is not None:
        query = query.where(CaseRecord.domain == str(area[0]), CaseRecord.area == area[1])
    if closed is not None:
        done = CaseRecord.stage == str(CaseStage.CLOSED)
        query = query.where(done if closed else ~done)
    if kind is not None:
        query = query.where(CaseRecord.kind == str(kind))
    rows = db.scalars(query.order_by(CaseRecord.opened_at.desc()).limit(limit))
    return [case_of(row) for row in rows]
