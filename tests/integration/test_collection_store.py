"""Settled collections are stored in InfluxDB once, and re-recording rewrites the same points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.collections import COLLECTION, record_settled_collections
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.influx.schema import to_line
from curbside.city.registry import parse_city
from curbside.domain.sanitation.collections import CollectionRules
from curbside.vocabulary.readings import BinEmptied, BinLevel

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
CITY = parse_city(
    {
        "sanitation_districts": [
            {
                "id": "D1",
                "name": "D",
                "clearance_deadline": "19:00",
                "bins": [
                    {"id": f"B{n}", "capacity_l": 240, "depth_cm": 90, "lat": 0, "lon": 0}
                    for n in (1, 2)
                ],
            }
        ]
    }
)


def _ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def test_settled_collections_are_recorded_once(influx: InfluxClient) -> None:
    influx.write(
        [
            # B1: emptied 3 h ago, seen by the fill and by the truck: one collection, "both".
            to_line(BinLevel("D1", "B1", fill_pct=70.0, ts=_ago(3.5))),
            to_line(BinLevel("D1", "B1", fill_pct=2.0, ts=_ago(3))),
            to_line(BinEmptied("D1", "B1", _ago(3) - timedelta(minutes=2), truck="T01")),
            to_line(BinLevel("D1", "B1", fill_pct=5.0, ts=_ago(2.5))),
            # B2: emptied 20 min ago: not settled yet, not recorded.
            to_line(BinLevel("D1", "B2", fill_pct=80.0, ts=_ago(1))),
            to_line(BinLevel("D1", "B2", fill_pct=1.0, ts=_ago(0.33))),
        ]
    )
    history = SanitationHistoryReader(influx)
    rules = CollectionRules()
    assert record_settled_collections(history, influx, CITY, NOW, rules) == 1
    assert record_settled_collections(history, influx, CITY, NOW, rules) == 1  # again: same point
    [series] = influx.query(f"SELECT * FROM {COLLECTION}")
    rows = series.rows()
    assert len(rows) == 1
    row = rows[0]
    assert (row["district"], row["bin"], row["source"], row["truck"]) == ("D1", "B1", "both", "T01")
    assert row["time"] == int((_ago(3) - timedelta(minutes=2)).timestamp() * 1000)
    assert (row["before_pct"], row["after_pct"]) == (70.0, 2.0)
