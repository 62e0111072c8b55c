"""What handlers depend on, as ``Annotated`` aliases; tests swap them with dependency_overrides."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from api.alertfeed import AlertFeed
from api.rendered import RenderedForAWhile
from api.session_bodies import SessionBodies, SessionsAnswer
from curbside.adapters.alert_desk import PublishingAlertStore
from curbside.adapters.influx.client import InfluxError
from curbside.adapters.influx.rollups import HourlyLevel
from curbside.adapters.influx.sanitation_history import BinReadings
from curbside.city.registry import City, Zone
from curbside.domain.parking.occupancy_history import OccupancyBucket
from curbside.domain.parking.sessions import Session
from curbside.domain.sanitation.clearance import ClearanceRules
from curbside.readmodels.active_alerts import ActiveAlerts
from curbside.readmodels.bin_trends import FillTrends
from curbside.readmodels.dispatch import DispatchDesk
from curbside.readmodels.live.feed import BrokerStatus
from curbside.readmodels.live.state import LiveState, Snapshot


class ParkingHistory(Protocol):
    """Parking history read from the database per request
    (curbside.adapters.influx.history.HistoryReader)."""

    def sessions(
        self, zone: str, spaces: Sequence[str], start: datetime, end: datetime, *, now: datetime
    ) -> list[Session]:
        """The sessions overlapping ``[start, end)``."""

    def ended_sessions(
        self, zone: str, spaces: Sequence[str], start: datetime, end: datetime, *, now: datetime
    ) -> list[Session]:
        """The sessions that ended in ``[start, end)``."""

    def occupancy(
        self,
        zone: str,
        spaces: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        every: timedelta,
        now: datetime,
    ) -> list[OccupancyBucket]:
        """Mean occupied spaces per bucket."""


class SanitationHistory(Protocol):
    """Bin history read from the database per request
    (curbside.adapters.influx.sanitation_history)."""

    def readings(
        self, district: str, start: datetime, end: datetime, *, bin_id: str | None = None
    ) -> BinReadings:
        """A district's (or one bin's) fill readings and emptied reports around the window."""

    def hourly_levels(
        self, district: str, bin_id: str, start: datetime, end: datetime
    ) -> list[HourlyLevel]:
        """One bin's hourly rollups in ``[start, end)``."""


@dataclass(frozen=True, slots=True)
class Services:
    """The long-lived objects the lifespan starts, shared by every request."""

    live: LiveState
    broker: BrokerStatus
    history: ParkingHistory
    alerts: PublishingAlertStore
    feed: AlertFeed
    active_alerts: ActiveAlerts
    sanitation: SanitationHistory
    # Only in the designated process (api/processes.py); the others forward dispatch routes.
    dispatch: DispatchDesk | None
    trends: FillTrends


def get_services(request: Request) -> Services:
    """The services the lifespan put in the request state."""
    services = getattr(request.state, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError("no services in the request state: the app's lifespan did not run")
    return services


async def get_live_state(request: Request) -> LiveState:
    """The live-state holder (snapshot and refresh status)."""
    return get_services(request).live


async def get_broker(request: Request) -> BrokerStatus:
    """The API's broker connection."""
    return get_services(request).broker


async def get_city(request: Request) -> City:
    """The city registry the app was created with."""
    city = request.app.state.city
    if not isinstance(city, City):
        raise RuntimeError("no city registry in the app state")
    return city


async def get_history(request: Request) -> ParkingHistory:
    """The parking-history reader (queries InfluxDB; call it through asyncio.to_thread)."""
    return get_services(request).history


async def get_sanitation_history(request: Request) -> SanitationHistory:
    """The bin-history reader (queries InfluxDB; call it through asyncio.to_thread)."""
    return get_services(request).sanitation


async def get_alerts(request: Request) -> PublishingAlertStore:
    """The alert store and publisher."""
    return get_services(request).alerts


async def get_active_alerts(request: Request) -> ActiveAlerts:
    """The active alerts kept in memory (curbside/readmodels/active_alerts.py)."""
    return get_services(request).active_alerts


async def get_feed(request: Request) -> AlertFeed:
    """The relay of alert changes for server-sent events."""
    return get_services(request).feed


async def get_clearance_rules(request: Request) -> ClearanceRules:
    """The clearance and collection rules the settings configure."""
    rules = request.app.state.clearance_rules
    if not isinstance(rules, ClearanceRules):
        raise RuntimeError("no clearance rules in the app state")
    return rules


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on what one request may ask for: ``api_max_window_days``, ``api_max_results``."""

    max_window: timedelta
    max_results: int
    # How far back raw readings reach (CURBSIDE_INFLUX_RAW_RETENTION_DAYS): older history is
    # answered from the hourly rollups (docs/retention.md).
    raw_horizon: timedelta = timedelta(days=90)
    # How long an acknowledge can be undone (CURBSIDE_API_ACK_UNDO_S).
    ack_undo: timedelta = timedelta(seconds=10)


async def get_limits(request: Request) -> Limits:
    """The caps the app was created with."""
    limits = request.app.state.limits
    if not isinstance(limits, Limits):
        raise RuntimeError("no limits in the app state")
    return limits


async def get_records(request: Request) -> sessionmaker[DbSession]:
    """Sessions on the record store (opened by the lifespan)."""
    records: sessionmaker[DbSession] = request.app.state.records
    return records


async def get_session_bodies(request: Request) -> SessionBodies:
    """What renders the sessions route's stays (kept with the app: rendered for its city)."""
    bodies = request.app.state.session_bodies
    if not isinstance(bodies, SessionBodies):
        raise RuntimeError("no session bodies in the app state")
    return bodies


async def get_sessions_answers(request: Request) -> RenderedForAWhile[SessionsAnswer]:
    """The sessions answers rendered lately, by window (kept with the app)."""
    answers: RenderedForAWhile[SessionsAnswer] = request.app.state.sessions_answers
    return answers


T = TypeVar("T")


async def in_records(sessions: sessionmaker[DbSession], work: Callable[[DbSession], T]) -> T:
    """``work`` on a record-store session, in a worker thread (the store's driver blocks)."""

    def run() -> T:
        with sessions() as db:
            return work(db)

    return await asyncio.to_thread(run)


async def get_now() -> datetime:
    """The current time, UTC: what "now" means for a request."""
    return datetime.now(UTC)


LiveStateDep = Annotated[LiveState, Depends(get_live_state)]
BrokerDep = Annotated[BrokerStatus, Depends(get_broker)]
CityDep = Annotated[City, Depends(get_city)]
HistoryDep = Annotated[ParkingHistory, Depends(get_history)]
NowDep = Annotated[datetime, Depends(get_now)]
AlertsDep = Annotated[PublishingAlertStore, Depends(get_alerts)]
ActiveAlertsDep = Annotated[ActiveAlerts, Depends(get_active_alerts)]
FeedDep = Annotated[AlertFeed, Depends(get_feed)]
ClearanceRulesDep = Annotated[ClearanceRules, Depends(get_clearance_rules)]
SanitationHistoryDep = Annotated[SanitationHistory, Depends(get_sanitation_history)]
LimitsDep = Annotated[Limits, Depends(get_limits)]
RecordsDep = Annotated[sessionmaker[DbSession], Depends(get_records)]
SessionBodiesDep = Annotated[SessionBodies, Depends(get_session_bodies)]
SessionsAnswersDep = Annotated[RenderedForAWhile[SessionsAnswer], Depends(get_sessions_answers)]


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A '+' left raw in a URL's query arrives as a space: 2026-11-27T08:00:00 08:00.
_PLUS_AS_SPACE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})? \d{2}:\d{2}$")


# Times a city's data can have; further out, InfluxDB refuses the query (its range ends in
# 2262) or the day's arithmetic overflows, and neither should be a server error.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def _in_range(day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"expected a time from {EARLIEST} to {LATEST}")


def _rfc3339(value: Any) -> datetime:
    # Only text with an offset: a local time is ambiguous, and a bare number is not RFC 3339.
    if isinstance(value, str) and _PLUS_AS_SPACE.match(value):
        raise ValueError(
            "a space where the UTC offset's '+' belongs: in a URL a raw '+' means a space, so "
            "encode it as %2B (2026-11-27T08:00:00%2B08:00), or give the time in UTC with Z"
        )
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(
            "expected RFC 3339 with a UTC offset, e.g. 2026-11-27T00:00:00Z, or "
            "2026-11-27T08:00:00%2B08:00 in a URL ('+' encoded as %2B)"
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a valid time: {exc}") from exc
    _in_range(parsed.date())
    return parsed.astimezone(UTC)


def _local_date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a valid date: {exc}") from exc
    _in_range(day)
    return day


# Query parameter types; a bad value is a 422 whose `loc` names the parameter.
Rfc3339 = Annotated[datetime, BeforeValidator(_rfc3339)]
LocalDate = Annotated[date, BeforeValidator(_local_date)]


def query_error(name: str, message: str, value: object) -> RequestValidationError:
    """A 422 about one query parameter, shaped like FastAPI's own validation errors."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", name), "msg": message, "input": value}]
    )


def check_window(start: datetime, end: datetime, limits: Limits) -> None:
    """A 422 naming ``end`` unless ``start < end`` and the window is within the cap."""
    if end <= start:
        raise query_error("end", "end must be after start", end.isoformat())
    if end - start > limits.max_window:
        days = limits.max_window.days
        raise query_error("end", f"the window may be at most {days} days long", end.isoformat())


def check_results(name: str, count: int, limits: Limits, value: object) -> None:
    """A 422 naming ``name`` when an answer would hold more than ``max_results`` items."""
    if count > limits.max_results:
        raise query_error(name, f"more than {limits.max_results} results: ask for less", value)


def local_day(city: City, day: date) -> tuple[datetime, datetime]:
    """The city's local day as ``[start, end)`` in UTC (23 or 25 hours long on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=city.tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=city.tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def require_zone(city: City, zone_id: str) -> Zone:
    """The registry zone with this id, or HTTP 404."""
    zone = city.zone(zone_id)
    if zone is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown zone {zone_id!r}")
    return zone


def database_unavailable(exc: InfluxError) -> HTTPException:
    """HTTP 503 for a query the database did not answer."""
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, f"database query failed: {type(exc).__name__}: {exc}"
    )


def current_snapshot(live: LiveState) -> Snapshot:
    """The current snapshot, or HTTP 503 while none could be loaded since start.

    Handlers call this after checking their parameters against the registry, so a bad or
    unknown id is reported as such even while the database is down.
    """
    snapshot = live.snapshot
    if snapshot is None:
        reason = f" (last error: {live.refresh_error})" if live.refresh_error else ""
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "live state not loaded yet: InfluxDB has not answered since the API started" + reason,
        )
    return snapshot
