"""GET /api/v1/cases, GET /api/v1/cases/{id}, POST /api/v1/cases/{id}/steps and
GET /api/v1/reports/cases: the GB/T 30428 cases Curbside opens from alerts (docs/cases.md).

A key sees and works the cases of the zones and districts it may read; a step is recorded as
the key's name (and the person the body names), and refused with 409 when it does not follow
from the case's stage or the case moved on since it was read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar, get_args

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from api.auth import CallerDep
from api.deps import CityDep, LocalDate, NowDep, RecordsDep, query_error
from api.routes.alerts import area_domain
from api.schemas import ID_PATTERN, ErrorOut
from curbside.adapters.access.keys import ApiKey
from curbside.adapters.access.policy import may_read
from curbside.adapters.access.scope import AreaKind
from curbside.adapters.records import case_store
from curbside.adapters.records.outbox_store import first_time
from curbside.city.registry import City
from curbside.domain.cases.document import case_document, event_document
from curbside.domain.cases.workflow import PERSON_STEPS, StepRefused, over_limit, take_step
from curbside.readmodels.reports.cases import CaseRow, case_report
from curbside.readmodels.reports.periods import Period, days_in
from curbside.vocabulary.alerts import AlertKind, Domain
from curbside.vocabulary.cases import Case, CaseEventKind
from curbside.vocabulary.outbox import Channel

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
work_router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
report_router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

T = TypeVar("T")
_AREA = {Domain.PARKING: AreaKind.ZONE, Domain.SANITATION: AreaKind.DISTRICT}
# A step dated later than this past the server's clock is a clock error, not a plan.
_FUTURE_TOLERANCE = timedelta(minutes=5)
StepKind = Literal["dispatched", "handled", "verified", "rework", "closed"]
if {str(k) for k in PERSON_STEPS} != set(get_args(StepKind)):  # one list of steps, checked
    raise ImportError("StepKind must name exactly the workflow's person steps")


class StepIn(BaseModel):
    """One step a person took on a case."""

    model_config = ConfigDict(extra="forbid")

    step: StepKind
    assignee: str | None = Field(
        None, pattern=ID_PATTERN, description="the crew or truck (required to dispatch)"
    )
    by: str | None = Field(
        None, min_length=1, max_length=64, description="the person; the key's name is kept too"
    )
    at: datetime | None = Field(None, description="when it was done (RFC 3339); default now")
    expected_seq: int | None = Field(
        None, ge=1, description="the case's last_seq as read: refused with 409 if it moved on"
    )


def _may_see(key: ApiKey, case: Case) -> bool:
    return may_read(key, _AREA[case.subject.domain], case.subject.group)


async def in_records(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run ``work`` on a record session in a worker thread."""

    def run() -> T:
        with sessions() as db:
            return work(db)

    return await asyncio.to_thread(run)


def _listed(case: Case, now: datetime) -> dict[str, Any]:
    # over_limit is the API's view for people, not part of the hand-off's case document.
    return {**case_document(case), "over_limit": over_limit(case, now)}


@router.get("", summary="Cases of the key's zones and districts")
async def list_cases(
    *,
    records: RecordsDep,
    city: CityDep,
    key: CallerDep,
    now: NowDep,
    stage: Annotated[Literal["open", "closed", "all"], Query()] = "open",
    kind: Annotated[AlertKind | None, Query()] = None,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, description="a parking zone")] = None,
    district: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="a sanitation district")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Newest first; ``open`` is every stage before 结案. ``over_limit``: closed late, or
    open past its deadline."""
    domain = area_domain(city, zone, district)
    area = None if domain is None else (domain, str(zone or district))

    def work(db: Session) -> list[Case]:
        closed = {"open": False, "closed": True, "all": None}[stage]
        return case_store.list_cases(db, closed=closed, kind=kind, area=area)

    found = [c for c in await in_records(records, work) if _may_see(key, c)]
    return {"count": len(found), "cases": [_listed(c, now) for c in found[:limit]]}


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "no such case (for this key)"}
}
CaseIdPath = Annotated[str, Path(max_length=240, description="the case's id (its alert's id)")]


@router.get("/{case_id}", responses=_NOT_FOUND, summary="One case with its steps")
async def get_case(
    *, records: RecordsDep, key: CallerDep, now: NowDep, case_id: CaseIdPath
) -> dict[str, Any]:
    """The case's state and every step, with who and when."""

    def work(db: Session) -> tuple[Case | None, list[Any]]:
        case = case_store.load_case(db, case_id)
        return case, case_store.events_of(db, [case_id]).get(case_id, [])

    case, events = await in_records(records, work)
    if case is None or not _may_see(key, case):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown case {case_id!r}")
    return {**_listed(case, now), "events": [event_document(e) for e in events]}


@work_router.post(
    "/{case_id}/steps",
    responses={
        **_NOT_FOUND,
        status.HTTP_409_CONFLICT: {
            "model": ErrorOut,
            "description": "the step does not follow from the case's stage, or it moved on",
        },
    },
    summary="Take a step on a case (派遣, 处置, 核查, 结案)",
)
async def take_case_step(
    *,
    records: RecordsDep,
    city: CityDep,
    key: CallerDep,
    now: NowDep,
    case_id: CaseIdPath,
    body: StepIn,
    request: Request,
) -> dict[str, Any]:
    """Record the step (and queue it for the platform); answers the case as it now is."""
    by = key.name if body.by is None else f"{body.by} via {key.name}"
    wanted = StepRequest(case_id, body, step_time(body, now), by, now, key)
    return await in_records(records, lambda db: record_step(db, request, city, wanted))


@dataclass(frozen=True, slots=True)
class StepRequest:
    """A step as asked for: by a key (which must see the case), or by the platform (``key``
    None) under a signed request's id (``request_id``: a second use is a replay)."""

    case_id: str
    body: StepIn
    at: datetime
    by: str
    now: datetime
    key: ApiKey | None
    request_id: str | None = None


def step_time(body: StepIn, now: datetime) -> datetime:
    """When the step was taken: the body's ``at`` (not in the future), else now."""
    at = now if body.at is None else body.at
    if at.tzinfo is None:
        raise query_error("at", "give a time zone (Z or an offset)", str(body.at))
    if at > now + _FUTURE_TOLERANCE:
        raise query_error("at", "is in the future", at.isoformat())
    return at


def record_step(db: Session, request: Request, city: City, wanted: StepRequest) -> dict[str, Any]:
    """Take and keep the step in one transaction, queued for hand-off; 404 for a case the
    key may not see, 409 for a step that does not follow, a case that moved on, or a replay."""
    channels: tuple[Channel, ...] = request.app.state.case_channels
    body = wanted.body
    with db.begin():
        case = case_store.load_case(db, wanted.case_id)
        if case is None or (wanted.key is not None and not _may_see(wanted.key, case)):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown case {wanted.case_id!r}")
        if wanted.request_id is not None and not first_time(db, wanted.request_id, wanted.now):
            request.app.state.metrics.platform_refused.labels("replayed").inc()
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"request {wanted.request_id!r} was already taken"
            )
        if body.expected_seq is not None and body.expected_seq != case.last_seq:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"case {case.id} is at step {case.last_seq}, not {body.expected_seq}",
            )
        try:
            step = take_step(case, CaseEventKind(body.step), wanted.at, wanted.by, body.assignee)
            case_store.save_steps(db, case, [step], city.tz, wanted.now, channels=channels)
        except (StepRefused, case_store.StaleCase) as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return {**case_document(step[0]), "event": event_document(step[1])}


@report_router.get("/cases", summary="Cases opened, closed and closed on time (按期结案率)")
async def cases_report(
    *,
    records: RecordsDep,
    city: CityDep,
    key: CallerDep,
    now: NowDep,
    start: Annotated[LocalDate, Query(description="first local day, YYYY-MM-DD")],
    end: Annotated[LocalDate, Query(description="last local day (included)")],
    period: Annotated[Period, Query()] = "day",
    group: Annotated[Literal["area", "city"], Query()] = "area",
) -> dict[str, Any]:
    """By period, area (zone or district) and kind, within the key's areas."""
    try:
        days_in(start, end)
    except ValueError as exc:
        raise query_error("end", str(exc), end.isoformat()) from exc
    areas = {z.id for z in city.parking_zones if may_read(key, AreaKind.ZONE, z.id)}
    areas |= {d.id for d in city.sanitation_districts if may_read(key, AreaKind.DISTRICT, d.id)}

    def work(db: Session) -> list[CaseRow]:
        return case_report(db, city.tz, start, end, now, group=group, period=period, areas=areas)

    rows = await in_records(records, work)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "period": period,
        "group": group,
        "rows": [asdict(r) for r in rows],
    }
