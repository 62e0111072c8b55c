"""GET /api/v1/city: the registry's layout (zones, spaces, districts, bins, stations) of the
areas the caller's key may read."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ReadableAreasDep
from api.deps import CityDep
from api.schemas import (
    CityOut,
    DistrictMapOut,
    NamesOut,
    PlaceOut,
    StationOut,
    TariffNamesOut,
    ZoneMapOut,
)
from curbside.city.registry import City

router = APIRouter(prefix="/api/v1", tags=["city"])


@router.get("/city", summary="Where each space, bin and station the key may read is")
async def city_layout(city: CityDep, areas: ReadableAreasDep) -> CityOut:
    """The zones and districts the key may read, with their coordinates, and the transfer
    stations if it may read any district; no live data. Where a zone's spaces are is
    that zone's data: a key limited to one zone learns nothing of the others."""
    return CityOut(
        name=str(city.name),
        names=NamesOut.of(city.name),
        timezone=city.timezone,
        zones=[
            ZoneMapOut(
                id=z.id,
                name=str(z.name),
                names=NamesOut.of(z.name),
                tariff=z.tariff,
                spaces=[PlaceOut(id=s.id, lat=s.lat, lon=s.lon) for s in z.spaces],
            )
            for z in areas.zones
        ],
        districts=[
            DistrictMapOut(
                id=d.id,
                name=str(d.name),
                names=NamesOut.of(d.name),
                clearance_deadline=d.clearance_deadline.strftime("%H:%M"),
                bins=[PlaceOut(id=b.id, lat=b.lat, lon=b.lon) for b in d.bins],
            )
            for d in areas.districts
        ],
        # Stations are where bin rounds start: sanitation's, not parking's.
        stations=[
            StationOut(id=t.id, name=str(t.name), names=NamesOut.of(t.name), lat=t.lat, lon=t.lon)
            for t in city.transfer_stations
        ]
        if areas.districts
        else [],
        tariffs=[_tariff_names(city, t) for t in sorted({z.tariff for z in areas.zones})],
    )


def _tariff_names(city: City, tariff_id: str) -> TariffNamesOut:
    name, bands = city.tariff_names(tariff_id)
    return TariffNamesOut(
        id=tariff_id,
        names=NamesOut.of(name),
        bands={band: NamesOut.of(title) for band, title in bands.items()},
    )
