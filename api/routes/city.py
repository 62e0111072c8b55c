"""GET /api/v1/city: the registry's layout (zones, spaces, districts, bins, stations)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CityDep
from api.schemas import CityOut, DistrictMapOut, PlaceOut, StationOut, ZoneMapOut

router = APIRouter(prefix="/api/v1", tags=["city"])


@router.get("/city", summary="Where every space, bin and station is")
async def city_layout(city: CityDep) -> CityOut:
    """The registry's zones, districts and stations with their coordinates; no live data."""
    return CityOut(
        name=city.name,
        timezone=city.timezone,
        zones=[
            ZoneMapOut(
                id=z.id,
                name=z.name,
                tariff=z.tariff,
                spaces=[PlaceOut(id=s.id, lat=s.lat, lon=s.lon) for s in z.spaces],
            )
            for z in city.parking_zones
        ],
        districts=[
            DistrictMapOut(
                id=d.id,
                name=d.name,
                clearance_deadline=d.clearance_deadline.strftime("%H:%M"),
                bins=[PlaceOut(id=b.id, lat=b.lat, lon=b.lon) for b in d.bins],
            )
            for d in city.sanitation_districts
        ],
        stations=[
            StationOut(id=t.id, name=t.name, lat=t.lat, lon=t.lon) for t in city.transfer_stations
        ],
    )
