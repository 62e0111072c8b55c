"""GET /api/v1/sanitation/collections, /clearance and /worklist: bin history, judged.

A day's collections and clearance answer from the record store once the recorder has frozen the
district's day (its verdicts as frozen, corrections beside them: docs/records.md); before that
they are judged from the raw readings in InfluxDB per request, marked provisional. Both follow
docs/clearance.md; the worklist (today, never frozen) adds the active sanitation alerts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from api.auth import CallerDep, readable_districts
from api.deps import (
    AlertsDep,
    CityDep,
    ClearanceRulesDep,
    LimitsDep,
    LocalDate,
    NowDep,
    RecordsDep,
    SanitationHistory,
    SanitationHistoryDep,
    database_unavailable,
    in_records,
    local_day,
    query_error,
)
from api.schemas import (
    ID_PATTERN,
    BinLevelsOut,
    ClearanceOut,
    ClearanceTotalOut,
    CollectionOut,
    CorrectionOut,
    DistrictClearanceOut,
    ErrorOut,
    HourLevelOut,
    LevelOut,
    RouteOut,
    WorkItemOut,
    WorklistOut,
)
from curbside.adapters.access.keys import ApiKey
from curbside.adapters.influx.client import InfluxError
from curbside.adapters.influx.sanitation_history import BinReadings
from curbside.city.registry import City, District
from curbside.domain.sanitation.clearance import (
    BinClearance,
    ClearanceRules,
    day_bounds,
    not_cleared_detail,
    not_cleared_message,
    summarise,
)
from curbside.domain.sanitation.collections import Collection, detect_collections
from curbside.domain.sanitation.worklist import (
    FIRE,
    FULL,
    NOT_CLEARED,
    OVERFLOW_SOON,
    Point,
    Reason,
    Station,
    Task,
    plan_routes,
    worklist,
)
from curbside.readmodels.clearance import as_of, district_day
from curbside.readmodels.recorded_clearance import (
    FrozenDistrictDay,
    frozen_days,
    recorded_collections,
)
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain

router = APIRouter(
    prefix="/api/v1/sanitation",
    tags=["sanitation"],
    responses={
        status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "unknown district or bin"},
        status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut},
    },
)

_ALERT_REASONS: dict[AlertKind, Reason] = {
    AlertKind.FIRE: FIRE,
    AlertKind.FULL: FULL,
    AlertKind.OVERFLOW_SOON: OVERFLOW_SOON,
}

DistrictQuery = Annotated[str | None, Query(pattern=ID_PATTERN, description="only this district")]


def _districts(city: City, key: ApiKey, district_id: str | None) -> list[District]:
    if district_id is None:
        return readable_districts(key, city)
    district = city.district(district_id)
    if district is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown district {district_id!r}")
    return [district]


async def _read(
    history: SanitationHistory,
    districts: Sequence[District],
    start: datetime,
    end: datetime,
    bin_id: str | None = None,
) -> list[BinReadings]:
    def load() -> list[BinReadings]:
        return [history.readings(d.id, start, end, bin_id=bin_id) for d in districts]

    try:
        return await asyncio.to_thread(load)
    except InfluxError as exc:
        raise database_unavailable(exc) from exc


def _collections(read: BinReadings, bin_id: str, rules: ClearanceRules) -> list[Collection]:
    return detect_collections(
        read.levels.get(bin_id, ()), read.reports.get(bin_id, ()), rules.collection
    )


def _hhmm(at: time | datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz) if isinstance(at, datetime) else at
    return local.strftime("%H:%M")


def _rate(cleared: int, needed: int) -> float | None:
    return round(cleared / needed, 4) if needed else None


@router.get("/collections", summary="Emptyings of the bins on a local day")
async def collections(
    *,
    city: CityDep,
    history: SanitationHistoryDep,
    records: RecordsDep,
    rules: ClearanceRulesDep,
    key: CallerDep,
    date: Annotated[LocalDate, Query(description="the city's local date, YYYY-MM-DD")],
    district: DistrictQuery = None,
    bin: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="only this bin; needs district")
    ] = None,
) -> list[CollectionOut]:
    """The collections of that day, by time (then registry order): as recorded where the
    district's day is frozen, else derived from the readings (``recorded`` says which)."""
    if bin is not None and district is None:
        raise query_error("bin", "bin needs district", bin)
    districts = _districts(city, key, district)
    if bin is not None and city.bin(districts[0].id, bin) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown bin {bin!r} in district {districts[0].id!r}"
        )
    start, end = local_day(city, date)
    frozen = list(await _frozen(records, date, districts))
    found = [
        _collection_out(d, b, c, recorded=True)
        for d, b, c in (
            await in_records(records, lambda db: recorded_collections(db, start, end, frozen, bin))
            if frozen
            else ()
        )
    ]
    open_districts = [d for d in districts if d.id not in frozen]
    read = await _read(history, open_districts, start, end, bin) if open_districts else []
    found.extend(
        _collection_out(d.id, b.id, c, recorded=False)
        for d, r in zip(open_districts, read, strict=True)
        for b in d.bins
        if bin is None or b.id == bin
        for c in _collections(r, b.id, rules)
        if start <= c.ts < end
    )
    # sorted() is stable: at one time, recorded then registry order.
    return sorted(found, key=lambda c: c.ts)


def _collection_out(district: str, bin_id: str, c: Collection, *, recorded: bool) -> CollectionOut:
    return CollectionOut(
        district=district,
        bin=bin_id,
        ts=c.ts,
        source=c.source,
        truck=c.truck,
        before_pct=c.before_pct,
        after_pct=c.after_pct,
        recorded=recorded,
    )


async def _frozen(
    records: sessionmaker[DbSession], day: date, districts: Sequence[District]
) -> dict[str, FrozenDistrictDay]:
    wanted = [d.id for d in districts]
    return await in_records(records, lambda db: frozen_days(db, day, wanted))


@router.get("/levels", summary="A bin's fill readings on a local day")
async def levels(
    *,
    city: CityDep,
    history: SanitationHistoryDep,
    limits: LimitsDep,
    now: NowDep,
    key: CallerDep,
    date: Annotated[LocalDate, Query(description="the city's local date, YYYY-MM-DD")],
    district: Annotated[str, Query(pattern=ID_PATTERN, description="the bin's district")],
    bin: Annotated[str, Query(pattern=ID_PATTERN, description="the bin")],
) -> BinLevelsOut:
    """Every fill reading of the bin in that local day, oldest first (the bin's history); a
    day reaching past the raw readings' horizon is answered from the hourly rollups."""
    found = _districts(city, key, district)[0]
    if city.bin(found.id, bin) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown bin {bin!r} in district {found.id!r}"
        )
    start, end = local_day(city, date)
    if start < now - limits.raw_horizon:
        try:
            hours = await asyncio.to_thread(history.hourly_levels, found.id, bin, start, end)
        except InfluxError as exc:
            raise database_unavailable(exc) from exc
        return BinLevelsOut(
            district=found.id,
            bin=bin,
            date=date,
            resolution="hour",
            levels=[LevelOut(ts=h.hour, fill_pct=round(h.mean_fill_pct, 2)) for h in hours],
            hours=[HourLevelOut(**asdict(h)) for h in hours],
        )
    (read,) = await _read(history, [found], start, end, bin)
    return BinLevelsOut(
        district=found.id,
        bin=bin,
        date=date,
        resolution="reading",
        levels=[
            LevelOut(ts=lv.ts, fill_pct=lv.fill_pct)
            for lv in read.levels.get(bin, ())
            if start <= lv.ts < end
        ],
        hours=[],
    )


@router.get("/clearance", summary="Daily clearance (日产日清) of a local day")
async def clearance(
    *,
    city: CityDep,
    history: SanitationHistoryDep,
    records: RecordsDep,
    rules: ClearanceRulesDep,
    now: NowDep,
    key: CallerDep,
    date: Annotated[LocalDate, Query(description="the city's local date, YYYY-MM-DD")],
    district: DistrictQuery = None,
) -> ClearanceOut:
    """Per district (registry order) and in total: the frozen verdicts with the corrections
    recorded since, or, for a district whose day is not frozen yet, judged from the readings
    now; ``complete`` is false until the day is over."""
    districts = _districts(city, key, district)
    start, end = local_day(city, date)
    frozen = await _frozen(records, date, districts)
    open_districts = [d for d in districts if d.id not in frozen]
    read = await _read(history, open_districts, start, end) if open_districts else []
    judged = {
        d.id: district_day(r, d, date, city.tz, now, rules=rules)
        for d, r in zip(open_districts, read, strict=True)
    }
    per_district: list[DistrictClearanceOut] = []
    for d in districts:
        recorded = frozen.get(d.id)
        report = summarise(
            _in_registry_order(d, recorded.verdicts) if recorded is not None else judged[d.id]
        )
        per_district.append(
            DistrictClearanceOut(
                district=d.id,
                deadline=_hhmm(d.clearance_deadline, city.tz),
                needed=report.needed,
                cleared=report.cleared,
                not_cleared=report.not_cleared,
                late=report.late,
                clearance_rate=_rate(report.cleared, report.needed),
                frozen=recorded is not None,
                corrections=[
                    CorrectionOut(
                        bin=c.bin,
                        revision=c.revision,
                        needed=c.verdict.needed,
                        cleared=c.verdict.cleared,
                        late=c.verdict.late,
                        reason=c.reason,
                        recorded_at=c.recorded_at,
                    )
                    for c in (recorded.corrections if recorded is not None else ())
                ],
            )
        )
    needed = sum(d.needed for d in per_district)
    cleared = sum(d.cleared for d in per_district)
    return ClearanceOut(
        date=date,
        complete=now >= end or not open_districts,
        frozen=not open_districts,
        districts=per_district,
        city=ClearanceTotalOut(
            needed=needed,
            cleared=cleared,
            not_cleared=[b for d in per_district for b in d.not_cleared],
            late=[b for d in per_district for b in d.late],
            clearance_rate=_rate(cleared, needed),
        ),
    )


def _in_registry_order(
    district: District, verdicts: dict[str, BinClearance]
) -> dict[str, BinClearance]:
    # Bins gone from the registry since the freeze keep their recorded verdicts, listed last.
    order = {b.id: i for i, b in enumerate(district.bins)}
    return dict(sorted(verdicts.items(), key=lambda item: order.get(item[0], len(order))))


@dataclass(frozen=True, slots=True)
class _Found:
    # What the worklist is made from: the day's readings and the active alerts.
    readings: list[BinReadings]
    alerts: list[Alert]


def _alert_tasks(city: City, districts: Sequence[District], alerts: Sequence[Alert]) -> list[Task]:
    wanted = {d.id for d in districts}
    tasks = []
    for alert in alerts:
        group, device = alert.subject.group, alert.subject.device
        reason = _ALERT_REASONS.get(alert.kind)
        found = city.bin(group, device)
        # Alerts about bins gone from the registry have nowhere to send a truck.
        if reason is not None and group in wanted and found is not None:
            where = Point(found.lat, found.lon)
            tasks.append(
                Task(group, device, reason, alert.detail, alert.opened_at, where, alert.message)
            )
    return tasks


def _clearance_tasks(
    city: City,
    districts: Sequence[District],
    read: Sequence[BinReadings],
    now: datetime,
    rules: ClearanceRules,
) -> list[Task]:
    day = now.astimezone(city.tz).date()
    tasks = []
    for d, r in zip(districts, read, strict=True):
        deadline = day_bounds(day, d.clearance_deadline, city.tz).deadline
        verdicts = district_day(r, d, day, city.tz, now, rules=rules)
        for b in d.bins:
            verdict = verdicts[b.id]
            if verdict.not_cleared:
                detail = not_cleared_detail(verdict, deadline, now, city.tz)
                message = not_cleared_message(verdict, deadline, now)
                where = Point(b.lat, b.lon)
                tasks.append(Task(d.id, b.id, NOT_CLEARED, detail, deadline, where, message))
    return tasks


def _latest_fill(read: BinReadings, bin_id: str) -> float | None:
    levels = read.levels.get(bin_id, ())
    return max(levels, key=lambda lv: lv.ts).fill_pct if levels else None


@router.get("/worklist", summary="Bins to send trucks to now, most urgent first")
async def worklist_now(
    *,
    city: CityDep,
    history: SanitationHistoryDep,
    rules: ClearanceRulesDep,
    desk: AlertsDep,
    now: NowDep,
    key: CallerDep,
    district: DistrictQuery = None,
) -> WorklistOut:
    """Fire, full and overflow_soon alerts, then bins not cleared yet today; a round per station."""
    districts = _districts(city, key, district)
    start, end = local_day(city, now.astimezone(city.tz).date())

    def load() -> _Found:
        alerts = desk.find(
            statuses=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
            domain=Domain.SANITATION,
            group=district,
        )
        read = [as_of(history.readings(d.id, start, end), now) for d in districts]
        return _Found(read, alerts)

    try:
        found = await asyncio.to_thread(load)
    except InfluxError as exc:
        raise database_unavailable(exc) from exc
    tasks = worklist(
        [
            *_alert_tasks(city, districts, found.alerts),
            *_clearance_tasks(city, districts, found.readings, now, rules),
        ]
    )
    read_by_district = {d.id: r for d, r in zip(districts, found.readings, strict=True)}
    stations = [Station(s.id, Point(s.lat, s.lon)) for s in city.transfer_stations]
    return WorklistOut(
        as_of=now,
        items=[
            WorkItemOut(
                district=t.district,
                bin=t.bin,
                reason=t.reason,
                detail=t.detail,
                message=None if t.message is None else t.message.document(),
                fill_pct=_latest_fill(read_by_district[t.district], t.bin),
                lat=t.where.lat,
                lon=t.where.lon,
            )
            for t in tasks
        ],
        routes=[
            RouteOut(station=r.station, stops=r.stops, distance_m=round(r.distance_m, 1))
            for r in plan_routes(stations, tasks)
        ],
    )
