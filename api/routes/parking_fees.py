"""GET /api/v1/parking/fees/quote and /tariffs: what a stay costs, and the tariffs in force.

The quote is for citizens checking a bill: the breakdown adds up to the total (items minus
the cap line), and it needs nothing from the database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api.deps import CityDep, LimitsDep, Rfc3339, check_window, require_zone
from api.schemas import (
    ID_PATTERN,
    ErrorOut,
    FeeOut,
    NamesOut,
    QuoteOut,
    TariffOut,
    TariffsOut,
)
from curbside.domain.parking.fees import compute_fee

# Two routers because their access differs: anyone may ask for a quote (api.app).
quote_router = APIRouter(prefix="/api/v1/parking", tags=["parking"])
router = APIRouter(prefix="/api/v1/parking", tags=["parking"])


@quote_router.get(
    "/fees/quote",
    responses={status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "unknown zone"}},
    summary="What a stay would cost, itemised",
)
async def quote(
    city: CityDep,
    limits: LimitsDep,
    zone: Annotated[str, Query(pattern=ID_PATTERN, description="the zone parked in")],
    start: Annotated[Rfc3339, Query(description="entry, RFC 3339 with offset")],
    end: Annotated[Rfc3339, Query(description="exit, RFC 3339 with offset")],
) -> QuoteOut:
    """The fee of a stay from ``start`` to ``end`` in ``zone`` under the version of its tariff
    in force on the local date of ``start``."""
    found = require_zone(city, zone)
    check_window(start, end, limits)
    try:
        in_force = city.tariff_in_force(found.id, start)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"zone {zone!r} has no tariff") from exc
    fee = compute_fee(in_force.tariff, start, end, city.workday_calendar, city.tz)
    priced = FeeOut.from_fee(fee)
    assert priced is not None  # a fee in, a fee out
    return QuoteOut(
        zone=found.id,
        tariff=found.tariff,
        tariff_version=in_force.version,
        start=start,
        end=end,
        duration_s=int((end - start).total_seconds()),
        fee=priced,
    )


@router.get("/tariffs", summary="The tariffs in force and the zones using them")
async def tariffs(city: CityDep) -> TariffsOut:
    """Every tariff of the registry as it reads it (normalised: times as HH:MM:SS, defaults
    filled in), with its zones, and the workday calendar."""
    return TariffsOut(
        tariffs=[
            TariffOut(
                id=tariff_id,
                name=None if tariff.name is None else str(tariff.name),
                names=None if tariff.name is None else NamesOut.of(tariff.name),
                bands={
                    band: NamesOut.of(title)
                    for band, title in city.tariff_names(tariff_id)[1].items()
                },
                zones=[z.id for z in city.parking_zones if z.tariff == tariff_id],
                definition=tariff.model_dump(mode="json", exclude_none=True),
                versions=[
                    v.model_dump(mode="json", exclude_none=True)
                    for v in sorted(
                        city.tariff_versions.get(tariff_id, []), key=lambda v: v.effective_from
                    )
                ],
            )
            for tariff_id, tariff in sorted(city.tariffs.items())
        ],
        workday_calendar=city.workday_calendar.model_dump(mode="json"),
    )
