"""MQTT contract v1 (docs/mqtt.md), written out independently of the simulator's code."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

RFC3339_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ts_ok(data: dict[str, Any]) -> bool:
    if "ts" not in data:
        return True
    ts = data["ts"]
    if _number(ts):
        return True
    if not isinstance(ts, str) or not RFC3339_WITH_OFFSET.match(ts):
        return False
    try:
        datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _in_range(data: dict[str, Any], key: str, low: float, high: float) -> bool:
    return key not in data or (_number(data[key]) and low <= data[key] <= high)


def _status_problem(data: dict[str, Any]) -> str | None:
    if not isinstance(data.get("occupied"), bool):
        return "bad_schema: occupied"
    return _range_problem(data, [("battery_v", 0, 10), ("rssi_dbm", -200, 0)])


def _fill_problem(data: dict[str, Any]) -> str | None:
    if "fill_pct" not in data and "distance_cm" not in data:
        return "bad_schema: no level"
    if "tilted" in data and not isinstance(data["tilted"], bool):
        return "bad_schema: tilted"
    ranges = [("fill_pct", 0, 100), ("distance_cm", 0, 1000), ("battery_v", 0, 10)]
    return _range_problem(data, [*ranges, ("temp_c", -60, 200)])


def _emptied_problem(data: dict[str, Any]) -> str | None:
    truck = data.get("truck")
    if truck is not None and not (isinstance(truck, str) and 1 <= len(truck) <= 64):
        return "bad_schema: truck"
    return None


def _range_problem(data: dict[str, Any], ranges: list[tuple[str, float, float]]) -> str | None:
    for key, low, high in ranges:
        if not _in_range(data, key, low, high):
            return f"out_of_range: {key}"
    return None


CHECKS = {"status": _status_problem, "fill": _fill_problem, "emptied": _emptied_problem}


def problem(topic: str, payload: bytes) -> str | None:
    """Why the message breaks contract v1, or None if it keeps it."""
    try:
        data = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError as exc:
        return f"bad_json: {exc}"
    if not isinstance(data, dict):
        return "bad_schema: not an object"
    if not _ts_ok(data):
        return "bad_schema: ts"
    check = CHECKS.get(topic.rsplit("/", 1)[-1])
    return "bad_topic" if check is None else check(data)
