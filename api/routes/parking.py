"""GET /api/v1/parking/...: occupancy per zone and the status of each space."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import TypeAdapter

from api.auth import CallerDep, readable_zones
from api.deps import CityDep, LiveStateDep, current_snapshot
from api.rendered import RenderedPerSnapshot
from api.schemas import ID_PATTERN, ErrorOut, SpaceOut, ZoneOccupancyOut
from curbside.city.registry import City, Zone

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
    key: CallerDep,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN, description="only this zone")] = None,
) -> Response:
    """Occupied, free and unknown spaces of every zone the key may read (registry order), or
    of one."""
    zones = [_zone(city, zone)] if zone is not None else readable_zones(key, city)
    snapshot = current_snapshot(live)

    def render() -> bytes:
        return _OCCUPANCY.dump_json(
            [ZoneOccupancyOut.from_counts(snapshot.zones[z.id], z.name) for z in zones]
        )

    # Keyed by the zones answered: keys with different scopes get different bodies.
    key_of_body = tuple(z.id for z in zones)
    return Response(_RENDERED.get(snapshot, key_of_body, render), media_type="application/json")


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
        SpaceOut.from_state(s, snapshot.as_of, snapshot.stale_after) for s in snapshot.spaces[z.id]
    ]
