"""/api/v1/dispatch/...: the trucks' collection plan (docs/dispatch.md).

The plan covers the whole county, so these routes need a key that may read every district.
A solve takes seconds (``CURBSIDE_API_DISPATCH_TIME_LIMIT_S``); it runs in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status

from api.auth import CallerDep, readable_districts
from api.deps import (
    AlertsDep,
    CityDep,
    LiveStateDep,
    NowDep,
    current_snapshot,
    database_unavailable,
    get_services,
)
from api.dispatch_autoplan import replan_from
from api.dispatch_schemas import PlanOut, TruckProgressOut, TruckRouteOut
from api.schemas import ID_PATTERN, ErrorOut
from curbside.adapters.influx.client import InfluxError
from curbside.domain.dispatch.problem import Plan
from curbside.readmodels.bin_trends import FillTrends
from curbside.readmodels.dispatch import DispatchDesk


async def get_dispatch(request: Request) -> DispatchDesk:
    """The plan holder the lifespan started."""
    return get_services(request).dispatch


DispatchDep = Annotated[DispatchDesk, Depends(get_dispatch)]

router = APIRouter(
    prefix="/api/v1/dispatch",
    tags=["dispatch"],
    responses={
        status.HTTP_403_FORBIDDEN: {"model": ErrorOut},
        status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut},
    },
)
replan_router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"])


def _whole_county(city: CityDep, key: CallerDep) -> None:
    if len(readable_districts(key, city)) < len(city.sanitation_districts):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the plan covers every district; this key may read only some",
        )


async def get_trends(request: Request) -> FillTrends:
    """Each bin's fill trend, read from the stored history when a plan is made."""
    return get_services(request).trends


TrendsDep = Annotated[FillTrends, Depends(get_trends)]


async def _replan(
    *,
    city: CityDep,
    live: LiveStateDep,
    alerts: AlertsDep,
    trends: FillTrends,
    desk: DispatchDesk,
    now: NowDep,
) -> Plan:
    snapshot = current_snapshot(live)
    try:
        return await replan_from(city, snapshot, alerts=alerts, trends=trends, desk=desk, now=now)
    except InfluxError as exc:
        raise database_unavailable(exc) from exc


@router.get("/plan", summary="The current collection plan", dependencies=[Depends(_whole_county)])
async def plan(
    *,
    city: CityDep,
    live: LiveStateDep,
    alerts: AlertsDep,
    trends: TrendsDep,
    desk: DispatchDep,
    now: NowDep,
) -> PlanOut:
    """Every truck's route and the bins left out; made now if there is none yet."""
    current = desk.current or await _replan(
        city=city, live=live, alerts=alerts, trends=trends, desk=desk, now=now
    )
    return PlanOut.from_plan(current)


@router.get(
    "/plan/{truck}",
    summary="One truck's route",
    dependencies=[Depends(_whole_county)],
    responses={status.HTTP_404_NOT_FOUND: {"model": ErrorOut}},
)
async def truck_plan(
    *,
    truck: Annotated[str, Path(pattern=ID_PATTERN)],
    city: CityDep,
    live: LiveStateDep,
    alerts: AlertsDep,
    trends: TrendsDep,
    desk: DispatchDep,
    now: NowDep,
) -> TruckRouteOut:
    """The truck's stops with arrival times and loads (what its tablet shows)."""
    if truck not in {t.id for t in city.trucks}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown truck {truck!r}")
    current = desk.current or await _replan(
        city=city, live=live, alerts=alerts, trends=trends, desk=desk, now=now
    )
    route = current.route_of(truck)
    if route is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"truck {truck} has no work in the plan")
    return TruckRouteOut.from_route(route)


@router.get(
    "/progress",
    summary="Each truck's latest progress report",
    dependencies=[Depends(_whole_county)],
)
async def progress(desk: DispatchDep) -> list[TruckProgressOut]:
    """What each truck last reported on ``dispatch/{truck}/progress``: when, where, and the
    stops of its route done (positions are also stored: measurement ``truck_position``)."""
    return [TruckProgressOut.from_progress(p) for p in desk.progress]


@replan_router.post(
    "/replan",
    summary="Plan again now, keeping the stops trucks are driving to",
    dependencies=[Depends(_whole_county)],
    responses={status.HTTP_403_FORBIDDEN: {"model": ErrorOut}},
)
async def replan(
    *,
    city: CityDep,
    live: LiveStateDep,
    alerts: AlertsDep,
    trends: TrendsDep,
    desk: DispatchDep,
    now: NowDep,
) -> PlanOut:
    """A new plan from the live fill levels and the active fire and full alerts; each truck's
    route is published (retained) on ``dispatch/{truck}/route``."""
    return PlanOut.from_plan(
        await _replan(city=city, live=live, alerts=alerts, trends=trends, desk=desk, now=now)
    )
