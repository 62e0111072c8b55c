"""GET /api/v1/parking/...: occupancy per zone and the status of each space."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import TypeAdapter

from api.deps import CityDep, LiveStateDep, current_snapshot
from api.rendered import RenderedPerSnapshot
from api.schemas import ID_PATTERN, ErrorOut, SpaceOut, ZoneOccupancyOut
from city.registry import City, Zone
from parking.occupancy import ZoneOccupancy, is_stale

router = APIRouter(
    prefix="/api/v1/parking",
    tags=["parking"],
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut}},
)

# Dashboards poll occupancy; it changes only with the snapshot (api/rendered.py).
_RENDERED = RenderedPerSnapshot()
_OCCUPANCY = TypeAdapter(list[ZoneOccupancyOut])

_UNKNOWN_ZONE: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "unknown zone"}
}


def _zone(city: City, zone_id: str) -> Zone:
    zone = city.zone(zone_id)
    if zone is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown zone {zone_id!r}")
    return zone


@router.get(
    "/occupancy",
    response_model=list[ZoneOccupancyOut],
    responses=_UNKNOWN_ZONE,
    summary="Occupancy per zone",
)
async def occupancy(
    city: CityDep,
    live: LiveStateDep,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, description="only this zone")] = None,
) -> Response:
    """Occupied, free and unknown spaces of every zone (registry order), or of one."""
    zones = [_zone(city, zone)] if zone is not None else city.parking_zones
    snapshot = current_snapshot(live)

    def render() -> bytes:
        return _OCCUPANCY.dump_json([_occupancy_out(z, snapshot.zones[z.id]) for z in zones])

    return Response(_RENDERED.get(snapshot, zone, render), media_type="application/json")


def _occupancy_out(z: Zone, counts: ZoneOccupancy) -> ZoneOccupancyOut:
    return ZoneOccupancyOut(
        zone=z.id,
        name=z.name,
        capacity=counts.capacity,
        occupied=counts.occupied,
        free=counts.free,
        unknown=counts.unknown,
        occupancy_rate=counts.occupancy_rate,
        as_of=counts.as_of,
    )


@router.get("/spaces", responses=_UNKNOWN_ZONE, summary="Spaces of a zone")
async def spaces(
    city: CityDep,
    live: LiveStateDep,
    zone: Annotated[str, Query(pattern=ID_PATTERN, description="the zone whose spaces to list")],
) -> list[SpaceOut]:
    """The latest status of each space of the zone, in registry order."""
    z = _zone(city, zone)
    snapshot = current_snapshot(live)
    return [
        SpaceOut(
            space=s.space,
            zone=s.zone,
            occupied=s.occupied,
            since=s.since,
            last_seen=s.last_seen,
            battery_v=s.battery_v,
            stale=is_stale(s, snapshot.as_of, snapshot.stale_after),
        )
        for s in snapshot.spaces[z.id]
    ]
