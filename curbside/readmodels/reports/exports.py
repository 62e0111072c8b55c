"""The reports as downloads: CSV (one grouping) and Excel (one sheet per grouping), with
Chinese headers. Money stays integer fen, as in the records."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from openpyxl import Workbook

from curbside.readmodels.reports.parking import ParkingRow
from curbside.readmodels.reports.sanitation import ClearanceRow

PARKING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("period", "统计周期"),
    ("group", "区域"),
    ("sessions", "停车次数"),
    ("billed_fen", "计费金额（分）"),
    ("adjustments", "调整笔数"),
    ("adjustments_fen", "调整金额（分）"),
    ("mean_stay_s", "平均停放时长（秒）"),
    ("turnover_per_space", "泊位周转率（次/泊位）"),
    ("occupancy_rate", "泊位占用率"),
    ("flagged_sessions", "异常标记次数"),
    ("collected_fen", "实收金额（分）"),
    ("refunded_fen", "退款金额（分）"),
    ("outstanding_fen", "欠费金额（分）"),
    ("collection_rate", "收缴率"),
)
CLEARANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("period", "统计周期"),
    ("group", "片区"),
    ("needed", "需清运桶数"),
    ("cleared_on_time", "按时清运"),
    ("late", "超时清运"),
    ("not_cleared", "未清运"),
    ("clearance_rate", "清运率"),
    ("corrections", "更正数"),
)
TRUCK_COLUMNS: tuple[tuple[str, str], ...] = (("truck", "收运车辆"), ("collections", "收运次数"))
CITY_LABEL = "全市"


def as_rows(rows: Sequence[ParkingRow | ClearanceRow]) -> list[dict[str, Any]]:
    """Report rows as dicts for the exports, the city row labelled 全市."""
    found = []
    for row in rows:
        record = asdict(row)
        if record["group"] == "city":
            record["group"] = CITY_LABEL
        found.append(record)
    return found


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """A CSV with a header line of the columns' Chinese names (UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header for _, header in columns)
    for row in rows:
        writer.writerow("" if row[key] is None else row[key] for key, _ in columns)
    return out.getvalue()


def to_xlsx(
    sheets: Mapping[str, tuple[Sequence[dict[str, Any]], Sequence[tuple[str, str]]]],
) -> bytes:
    """An Excel workbook, one sheet per entry: its title, then its rows under their headers."""
    book = Workbook(write_only=True)
    for title, (rows, columns) in sheets.items():
        sheet = book.create_sheet(title=title)
        sheet.append([header for _, header in columns])
        for row in rows:
            sheet.append([row[key] for key, _ in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def truck_rows(by_truck: Mapping[str, int]) -> list[dict[str, Any]]:
    """Collections per truck as rows."""
    return [{"truck": truck, "collections": count} for truck, count in by_truck.items()]
