"""Response bodies of the dispatch routes; a truck's route is also the retained MQTT payload
on ``dispatch/{truck}/route`` (docs/mqtt.md), so the in-cab tablet reads what the API serves."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import MessageOut, UtcTime
from curbside.domain.dispatch.problem import (
    LeftOut,
    LeftOutReason,
    Place,
    PlaceKind,
    Plan,
    Stop,
    TruckRoute,
)
from curbside.domain.dispatch.triggers import TruckProgress


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


class StopOut(_Response):
    """A bin to empty, or a transfer station to unload at."""

    kind: Literal["bin", "unload"]
    id: str = Field(description="the bin's id, or the station's")
    district: str | None
    lat: float
    lon: float
    arrival: UtcTime = Field(description="planned start of service")
    load_after_l: int = Field(description="loose litres on board after the stop")

    @classmethod
    def from_stop(cls, stop: Stop) -> StopOut:
        """The API's view of a planned stop."""
        return cls(
            kind=stop.kind,
            id=stop.id,
            district=stop.district,
            lat=stop.where.lat,
            lon=stop.where.lon,
            arrival=stop.arrival,
            load_after_l=stop.load_after_l,
        )


class PlaceOut(_Response):
    """Where a route begins or ends."""

    kind: PlaceKind = Field(
        description="station: a transfer station; position: where the truck last reported "
        "being (a re-plan mid-shift); stop: re-planned without a report, the stop the previous "
        "plan had it at last"
    )
    id: str | None = Field(description="the station's id, or the stop's; null for a position")
    lat: float
    lon: float

    @classmethod
    def from_place(cls, place: Place) -> PlaceOut:
        """The API's view of a route's end."""
        return cls(kind=place.kind, id=place.id, lat=place.where.lat, lon=place.where.lon)


class TruckRouteOut(_Response):
    """One truck's route for the rest of the day: from ``origin`` through ``stops`` to
    ``destination`` (its home station, where it unloads last)."""

    truck: str
    start: UtcTime
    end: UtcTime
    distance_m: int = Field(description="travel model: great-circle x detour (docs/dispatch.md)")
    bins: int
    unload_trips: int
    origin: PlaceOut = Field(description="where the route begins")
    destination: PlaceOut = Field(description="where it ends the day: its home station")
    stops: list[StopOut]

    @classmethod
    def from_route(cls, route: TruckRoute) -> TruckRouteOut:
        """The API's (and the tablet's) view of a route."""
        return cls(
            truck=route.truck,
            start=route.start,
            end=route.end,
            distance_m=route.distance_m,
            bins=route.bins,
            unload_trips=route.unload_trips,
            origin=PlaceOut.from_place(route.origin),
            destination=PlaceOut.from_place(route.destination),
            stops=[StopOut.from_stop(s) for s in route.stops],
        )


class LeftOutOut(_Response):
    """A bin the plan does not visit, and why."""

    district: str
    bin: str
    must: bool = Field(description="it had to be cleared by its district's deadline")
    reason: LeftOutReason
    detail: str = Field(description="the reason in English words, local times (for API clients)")
    message: MessageOut = Field(description="the reason as a code with parameters")

    @classmethod
    def from_left_out(cls, out: LeftOut) -> LeftOutOut:
        """The API's view of a bin left out."""
        return cls(
            district=out.district,
            bin=out.bin,
            must=out.must,
            reason=out.reason,
            detail=out.detail,
            message=MessageOut.model_validate(out.message.document()),
        )


class PlanOut(_Response):
    """The current collection plan: a route per truck with work, every bin left out."""

    as_of: UtcTime
    feasible: bool
    solve_s: float
    distance_m: int
    routes: list[TruckRouteOut]
    left_out: list[LeftOutOut]
    notes: list[str]

    @classmethod
    def from_plan(cls, plan: Plan) -> PlanOut:
        """The API's view of a plan."""
        return cls(
            as_of=plan.start,
            feasible=plan.feasible,
            solve_s=round(plan.solve_s, 3),
            distance_m=plan.distance_m,
            routes=[TruckRouteOut.from_route(r) for r in plan.routes],
            left_out=[LeftOutOut.from_left_out(o) for o in plan.left_out],
            notes=list(plan.notes),
        )


class TruckProgressOut(_Response):
    """A truck's latest progress report: when, where, and the stops of its route done."""

    truck: str
    ts: UtcTime
    lat: float | None
    lon: float | None
    done: list[str]

    @classmethod
    def from_progress(cls, progress: TruckProgress) -> TruckProgressOut:
        """The API's view of a report."""
        where = progress.where
        return cls(
            truck=progress.truck,
            ts=progress.at,
            lat=None if where is None else where.lat,
            lon=None if where is None else where.lon,
            done=list(progress.done),
        )
