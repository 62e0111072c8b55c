"""GET /api/v1/reports/parking and /sanitation: period reports from the records, as JSON,
CSV or Excel (.xlsx). See docs/records.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.auth import CallerDep, readable_districts, readable_zones
from api.deps import CityDep, LocalDate, RecordsDep, in_records, query_error
from api.schemas import (
    ClearanceReportRowOut,
    ParkingReportOut,
    ParkingReportRowOut,
    SanitationReportOut,
)
from curbside.readmodels.reports.exports import (
    CLEARANCE_COLUMNS,
    PARKING_COLUMNS,
    TRUCK_COLUMNS,
    as_rows,
    to_csv,
    to_xlsx,
    truck_rows,
)
from curbside.readmodels.reports.parking import ParkingRow, parking_report
from curbside.readmodels.reports.periods import Period, days_in
from curbside.readmodels.reports.sanitation import SanitationReport, sanitation_report

parking_router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
sanitation_router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Format = Literal["json", "csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

StartQuery = Annotated[LocalDate, Query(description="first local day, YYYY-MM-DD")]
EndQuery = Annotated[LocalDate, Query(description="last local day (included)")]
PeriodQuery = Annotated[Period, Query(description="one row per day, ISO week, month, or all")]
FormatQuery = Annotated[Format, Query(description="json, or a csv / xlsx download")]


def _answers(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    # The JSON answer's schema for the docs; the handler answers a Response for the downloads.
    return {
        200: {
            "model": model,
            "description": "JSON, or with format=csv / xlsx a download with Chinese headers",
        }
    }


def _check_range(start: date, end: date) -> None:
    try:
        days_in(start, end)
    except ValueError as exc:
        raise query_error("end", str(exc), end.isoformat()) from exc


def _download(body: str | bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@parking_router.get(
    "/parking",
    summary="Parking sessions, revenue and occupancy by period",
    response_class=Response,
    responses=_answers(ParkingReportOut),
)
async def parking(
    *,
    records: RecordsDep,
    city: CityDep,
    key: CallerDep,
    start: StartQuery,
    end: EndQuery,
    period: PeriodQuery = "day",
    group: Annotated[Literal["zone", "city"], Query()] = "zone",
    format: FormatQuery = "json",
) -> Response:
    """Recorded sessions and charges of the zones the key may read, grouped."""
    _check_range(start, end)
    zones = [z.id for z in readable_zones(key, city)]

    def rows(grouping: Literal["zone", "city"]) -> Callable[[Session], list[ParkingRow]]:
        def work(db: Session) -> list[ParkingRow]:
            return parking_report(db, city, start, end, group=grouping, period=period, zones=zones)

        return work

    name = f"parking-{start}-{end}-{period}"
    if format == "xlsx":
        by_zone = await in_records(records, rows("zone"))
        total = await in_records(records, rows("city"))
        sheets = {"按区域": (as_rows(by_zone), PARKING_COLUMNS)}
        sheets["全市合计"] = (as_rows(total), PARKING_COLUMNS)
        return _download(to_xlsx(sheets), XLSX, f"{name}.xlsx")
    found = await in_records(records, rows(group))
    if format == "csv":
        return _download(to_csv(as_rows(found), PARKING_COLUMNS), "text/csv", f"{name}-{group}.csv")
    report = ParkingReportOut(
        start=start,
        end=end,
        period=period,
        group=group,
        rows=[ParkingReportRowOut(**asdict(r)) for r in found],
    )
    return Response(report.model_dump_json(), media_type="application/json")


@sanitation_router.get(
    "/sanitation",
    summary="Daily clearance (frozen verdicts) by period",
    response_class=Response,
    responses=_answers(SanitationReportOut),
)
async def sanitation(
    *,
    records: RecordsDep,
    city: CityDep,
    key: CallerDep,
    start: StartQuery,
    end: EndQuery,
    period: PeriodQuery = "day",
    group: Annotated[Literal["district", "city"], Query()] = "district",
    format: FormatQuery = "json",
) -> Response:
    """Frozen clearance verdicts of the districts the key may read, and collections per truck."""
    _check_range(start, end)
    districts = [d.id for d in readable_districts(key, city)]

    def report(grouping: Literal["district", "city"]) -> Callable[[Session], SanitationReport]:
        def work(db: Session) -> SanitationReport:
            return sanitation_report(
                db, city, start, end, group=grouping, period=period, districts=districts
            )

        return work

    name = f"sanitation-{start}-{end}-{period}"
    if format == "xlsx":
        by_district = await in_records(records, report("district"))
        total = await in_records(records, report("city"))
        sheets = {"按片区": (as_rows(by_district.rows), CLEARANCE_COLUMNS)}
        sheets["全市合计"] = (as_rows(total.rows), CLEARANCE_COLUMNS)
        sheets["收运车辆"] = (truck_rows(total.collections_by_truck), TRUCK_COLUMNS)
        return _download(to_xlsx(sheets), XLSX, f"{name}.xlsx")
    found = await in_records(records, report(group))
    if format == "csv":
        return _download(
            to_csv(as_rows(found.rows), CLEARANCE_COLUMNS), "text/csv", f"{name}-{group}.csv"
        )
    out = SanitationReportOut(
        start=start,
        end=end,
        period=period,
        group=group,
        rows=[ClearanceReportRowOut(**asdict(r)) for r in found.rows],
        collections_by_truck=found.collections_by_truck,
    )
    return Response(out.model_dump_json(), media_type="application/json")
