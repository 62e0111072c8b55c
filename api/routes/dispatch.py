"""/api/v1/dispatch/...: the trucks' collection plan (docs/dispatch.md).

The plan covers the whole county, so these routes need a key that may read every district.
A solve takes seconds (``CURBSIDE_API_DISPATCH_TIME_LIMIT_S``); it runs in a worker thread.
"""

from __future__ import annotations

from datetime import datetime
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
from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxError
from curbside.city.registry import City
from curbside.domain.dispatch.problem import Plan
from curbside.readmodels.bin_trends import FillTrends
from curbside.readmodels.dispatch import DispatchDesk
from curbside.readmodels.live.state import LiveState


async def get_dispatch(request: Request) -> DispatchDesk:
    """The plan holder the lifespan started (in the designated process alone)."""
    desk = get_services(request).dispatch
    if desk is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the plan is kept by another API process"
        )
    return desk


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


class PlanMaker:
    """The desk's current plan, or a new one made now from the live state, the active alerts
    and the bins' trends: what every plan route needs."""

    def __init__(
        self,
        *,
        city: City,
        live: LiveState,
        alerts: AlertStore,
        trends: FillTrends,
        desk: DispatchDesk,
        now: datetime,
    ) -> None:
        self.city = city
        self._live = live
        self._alerts = alerts
        self._trends = trends
        self._desk = desk
        self._now = now

    async def current(self) -> Plan:
        """The plan held, made now if there is none yet."""
        return self._desk.current or await self.replan()

    async def replan(self) -> Plan:
        """A new plan from now; 503 when the database cannot be read."""
        snapshot = current_snapshot(self._live)
        try:
            return await replan_from(
                self.city,
                snapshot,
                alerts=self._alerts,
                trends=self._trends,
                desk=self._desk,
                now=self._now,
            )
        except InfluxError as exc:
            raise database_unavailable(exc) from exc


async def get_plan_maker(
    *,
    city: CityDep,
    live: LiveStateDep,
    alerts: AlertsDep,
    trends: TrendsDep,
    desk: DispatchDep,
    now: NowDep,
) -> PlanMaker:
    """What the plan routes read and re-plan with."""
    return PlanMaker(city=city, live=live, alerts=alerts, trends=trends, desk=desk, now=now)


PlanMakerDep = Annotated[PlanMaker, Depends(get_plan_maker)]


@router.get("/plan", summary="The current collection plan", dependencies=[Depends(_whole_county)])
async def plan(maker: PlanMakerDep) -> PlanOut:
    """Every truck's route and the bins left out; made now if there is none yet."""
    return PlanOut.from_plan(await maker.current())


@router.get(
    "/plan/{truck}",
    summary="One truck's route",
    dependencies=[Depends(_whole_county)],
    responses={status.HTTP_404_NOT_FOUND: {"model": ErrorOut}},
)
async def truck_plan(
    truck: Annotated[str, Path(pattern=ID_PATTERN)], maker: PlanMakerDep
) -> TruckRouteOut:
    """The truck's stops with arrival times and loads (what its tablet shows)."""
    if truck not in {t.id for t in maker.city.trucks}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown truck {truck!r}")
    route = (await maker.current()).route_of(truck)
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
async def replan(maker: PlanMakerDep) -> PlanOut:
    """A new plan from the live fill levels and the active fire and full alerts; each truck's
    route is published (retained) on ``dispatch/{truck}/route``."""
    return PlanOut.from_plan(await maker.replan())
