"""GET /api/v1/sanitation/...: the latest state of the waste bins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api.auth import CallerDep, readable_districts
from api.deps import CityDep, LiveStateDep, current_snapshot
from api.schemas import ID_PATTERN, BinOut, ErrorOut

router = APIRouter(
    prefix="/api/v1/sanitation",
    tags=["sanitation"],
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut}},
)


@router.get(
    "/bins",
    responses={status.HTTP_404_NOT_FOUND: {"model": ErrorOut, "description": "unknown district"}},
    summary="Bins and their fill levels",
)
async def bins(
    city: CityDep,
    live: LiveStateDep,
    key: CallerDep,
    district: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="only this district")
    ] = None,
) -> list[BinOut]:
    """Every bin the key may read (registry order), or the bins of one district, with their
    latest report."""
    if district is None:
        ids = [d.id for d in readable_districts(key, city)]
    elif city.district(district) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown district {district!r}")
    else:
        ids = [district]
    snapshot = current_snapshot(live)
    return [BinOut.from_state(b) for district_id in ids for b in snapshot.bins[district_id]]
