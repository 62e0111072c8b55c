"""The record tables as SQLAlchemy 2 typed models (the migrations in migrations/ create them).

Which rows may change is part of the model: a session is revised while the recorder learns
about it (open, then closed; late data may move its end), but a charge or a clearance verdict
is written once and never updated: a change is a new row that says why (docs/records.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from curbside.adapters.records.columns import RowId, UtcDateTime

# Stable constraint names, so migrations can name what they change on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(64)


class Base(DeclarativeBase):
    """Every record table."""

    metadata = MetaData(naming_convention=NAMING)


class SpaceReport(Base):
    """A status report the recorder has taken, kept while late data can still change sessions.

    ``seq`` is -1 when the sensor sends no counter (a key column cannot be NULL).
    """

    __tablename__ = "space_reports"

    zone: Mapped[str] = mapped_column(Id, primary_key=True)
    space: Mapped[str] = mapped_column(Id, primary_key=True)
    ts: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    occupied: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)


class ParkingSession(Base):
    """One stay, identified by its space and start. ``status``: open, closed or void."""

    __tablename__ = "parking_sessions"
    __table_args__ = (
        UniqueConstraint("zone", "space", "start", name="uq_parking_sessions_identity"),
        Index("ix_parking_sessions_end_day", "end_day", "zone"),
        Index("ix_parking_sessions_open", "status", "zone", "space"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    zone: Mapped[str] = mapped_column(Id)
    space: Mapped[str] = mapped_column(Id)
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_confirmed: Mapped[datetime] = mapped_column(UtcDateTime)
    flags: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(8))
    # The local day the stay ended on: the day its revenue belongs to.
    end_day: Mapped[date | None] = mapped_column(Date)
    duration_s: Mapped[int | None] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revised_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Charge(Base):
    """An immutable line of billing: a charge for a closed stay, or the reversal of one.

    A reversal carries the negated amount, the id it reverses and the reason; the stay's new
    charge (if any) follows as another row. ``business_day`` is the local day the stay ended.
    """

    __tablename__ = "charges"
    __table_args__ = (Index("ix_charges_business_day", "business_day", "zone"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("parking_sessions.id"), index=True)
    zone: Mapped[str] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    tariff_id: Mapped[str] = mapped_column(Id)
    tariff_version: Mapped[date | None] = mapped_column(Date)
    priced_from: Mapped[datetime] = mapped_column(UtcDateTime)
    priced_until: Mapped[datetime] = mapped_column(UtcDateTime)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(300))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("charges.id"), unique=True)
    business_day: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ZoneRevision(Base):
    """A number that changes whenever a zone's stays or charges do, so that a reader holding
    a zone's sessions can tell in one cheap read whether to read them again."""

    __tablename__ = "zone_revisions"

    zone: Mapped[str] = mapped_column(Id, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class SpaceRevision(Base):
    """The revision its zone had when a space's stays or charges last changed: which spaces
    a reader holding the zone's sessions at an older revision must read again."""

    __tablename__ = "space_revisions"

    zone: Mapped[str] = mapped_column(Id, primary_key=True)
    space: Mapped[str] = mapped_column(Id, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class ZoneOccupancyHour(Base):
    """Seconds of closed stays inside one UTC hour in one zone (time-weighted occupancy);
    ``day`` is the local day the hour belongs to, for reports by day."""

    __tablename__ = "zone_occupancy_hours"
    __table_args__ = (Index("ix_zone_occupancy_hours_day", "day", "zone"),)

    zone: Mapped[str] = mapped_column(Id, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    occupied_s: Mapped[int] = mapped_column(BigInteger)
    spaces: Mapped[int] = mapped_column(Integer)


class BinCollection(Base):
    """One emptying of one bin, as the collection rules saw it (docs/clearance.md)."""

    __tablename__ = "bin_collections"
    __table_args__ = (
        UniqueConstraint("district", "bin", "ts", name="uq_bin_collections_identity"),
        Index("ix_bin_collections_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    district: Mapped[str] = mapped_column(Id)
    bin: Mapped[str] = mapped_column(Id)
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(8))
    truck: Mapped[str | None] = mapped_column(Id)
    before_pct: Mapped[float | None]
    after_pct: Mapped[float | None]
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClearanceVerdict(Base):
    """One bin's clearance verdict for one local day, frozen once; later data adds revisions.

    Revision 0 is the verdict frozen at the day's close plus the grace; revision n > 0 is a
    correction, with its reason. The report of a day uses each bin's highest revision.
    """

    __tablename__ = "clearance_verdicts"
    __table_args__ = (
        UniqueConstraint("day", "district", "bin", "revision", name="uq_clearance_verdicts_rev"),
        Index("ix_clearance_verdicts_day", "day", "district"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    district: Mapped[str] = mapped_column(Id)
    bin: Mapped[str] = mapped_column(Id)
    revision: Mapped[int] = mapped_column(Integer)
    needed: Mapped[bool] = mapped_column(Boolean)
    cleared: Mapped[bool] = mapped_column(Boolean)
    late: Mapped[bool] = mapped_column(Boolean)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_rise: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(String(300))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ZoneDayTotals(Base):
    """One zone's parking figures for one local day, kept by the recorder from the sessions,
    charges and hours above, so a month's report reads 30 rows per zone, not every stay."""

    __tablename__ = "zone_day_totals"

    zone: Mapped[str] = mapped_column(Id, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer)
    stay_s: Mapped[int] = mapped_column(BigInteger)
    flagged: Mapped[int] = mapped_column(Integer)
    billed_fen: Mapped[int] = mapped_column(BigInteger)
    adjustments: Mapped[int] = mapped_column(Integer)
    adjustments_fen: Mapped[int] = mapped_column(BigInteger)
    occupied_s: Mapped[int] = mapped_column(BigInteger)


class DistrictDayTotals(Base):
    """One district's clearance figures for one local day: the frozen verdicts counted, and the
    corrections recorded since."""

    __tablename__ = "district_day_totals"

    district: Mapped[str] = mapped_column(Id, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    needed: Mapped[int] = mapped_column(Integer)
    cleared_on_time: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    corrections: Mapped[int] = mapped_column(Integer)


class PlateBinding(Base):
    """A plate seen on a stay by a PDA, a video pole or an operator; never edited.

    A correction is a new row naming the binding it corrects (``corrects_id``), who made it
    (``actor``) and why (``reason``); a stay's plate is its binding that nothing corrects.
    ``plate`` is personal information (docs/security.md).
    """

    __tablename__ = "plate_bindings"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("parking_sessions.id"), index=True)
    zone: Mapped[str] = mapped_column(Id)
    space: Mapped[str] = mapped_column(Id)
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    colour: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(Id)
    reason: Mapped[str | None] = mapped_column(String(300))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("plate_bindings.id"), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Payment(Base):
    """A payment or refund a channel reported for a stay's charge; immutable.

    ``(channel, txn_id)`` is the channel's own transaction id: one movement per id.
    ``digest`` identifies the signed notification exactly (a replay of it is refused).
    ``business_day`` is the local day the money moved, the day it counts as collected.
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("channel", "txn_id", name="uq_payments_channel_txn"),
        Index("ix_payments_business_day", "business_day", "zone"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(Id)
    txn_id: Mapped[str] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(8))
    charge_id: Mapped[int] = mapped_column(ForeignKey("charges.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("parking_sessions.id"), index=True)
    zone: Mapped[str] = mapped_column(Id)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    business_day: Mapped[date] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RefusedNotification(Base):
    """A payment notification refused, with the reason code and what was wrong.

    ``digest`` is kept only for correctly signed ones, so their replay is recognised; the body
    itself is not kept (it may name a plate).
    """

    __tablename__ = "refused_notifications"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    channel: Mapped[str | None] = mapped_column(Id)
    txn_id: Mapped[str | None] = mapped_column(Id)
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(300))
    digest: Mapped[str | None] = mapped_column(String(64), index=True)


class OverdueNotice(Base):
    """A stay whose charge went overdue: written in the transaction that finds it, published
    on MQTT afterwards (``published_at`` set then; unpublished ones are sent again)."""

    __tablename__ = "overdue_notices"

    session_id: Mapped[int] = mapped_column(ForeignKey("parking_sessions.id"), primary_key=True)
    owed_fen: Mapped[int] = mapped_column(BigInteger)
    noticed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


CaseId = String(240)  # an alert id: kind~domain~group~device~ms, groups and devices up to 64


class CaseRecord(Base):
    """One case's current state (curbside/vocabulary/cases.py). Revised by each step, guarded
    by ``last_seq``: a step is saved only onto the state it was taken from. Its history is
    its events, which are never changed."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_stage", "stage", "kind"),
        Index("ix_cases_opened_day", "opened_day", "area"),
        Index("ix_cases_judged_day", "judged_day", "area"),
    )

    id: Mapped[str] = mapped_column(CaseId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str] = mapped_column(String(16))
    # A parking zone or a sanitation district, and the space or bin in it.
    area: Mapped[str] = mapped_column(Id)
    device: Mapped[str] = mapped_column(Id)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    stage: Mapped[str] = mapped_column(String(12))
    last_seq: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assignee: Mapped[str | None] = mapped_column(Id)
    verified_by: Mapped[str | None] = mapped_column(String(160))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reworks: Mapped[int] = mapped_column(Integer)
    # Local days, for reports by period: opened, and judged (closed or its deadline, first).
    opened_day: Mapped[date] = mapped_column(Date)
    judged_day: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CaseEventRecord(Base):
    """One step of one case, written once: (case, seq) is its identity and idempotency key."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_at", "at"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A person "via" the key that sent the step, or curbside.
    by: Mapped[str] = mapped_column(String(160))
    assignee: Mapped[str | None] = mapped_column(Id)
    basis: Mapped[str | None] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxMessage(Base):
    """One event waiting for, or done with, delivery on one channel (curbside/vocabulary/
    outbox.py). Written in the transaction that made the event, so none is lost or invented;
    ``delivered_at`` or ``dead_at`` is set once it is settled."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("channel", "key", name="uq_outbox_channel_key"),
        Index("ix_outbox_pending", "channel", "delivered_at", "dead_at", "next_at"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(300))
    ordering: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str] = mapped_column(String(400))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))


class InboundRequest(Base):
    """A signed request the platform sent, by its webhook-id: a second one is a replay."""

    __tablename__ = "inbound_requests"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RecorderLease(Base):
    """Which recorder may write (docs/records.md, "Several recorders"): the holder until
    ``expires_at``; every commit of the holder renews it, and fails if ``epoch`` moved on."""

    __tablename__ = "recorder_lease"

    name: Mapped[str] = mapped_column(Id, primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    epoch: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
