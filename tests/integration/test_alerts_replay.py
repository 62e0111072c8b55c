"""A replay (or a backlog drained after an outage) must not flood the alerts (issue 12).

The stream stored in InfluxDB ends three hours before the wall clock, as in the demo's replay
or while ingest drains a backlog. Judged by the wall clock, every device would look silent and
every rising bin would get a forecast of a moment long past; judged at the data's progress,
only the device that really went quiet within the data raises ``sensor_silent``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.latest import LatestReader
from curbside.adapters.influx.progress import newest_reading
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.influx.schema import to_line
from curbside.city.registry import parse_city
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.sanitation.clearance import ClearanceRules
from curbside.evaluator import ConditionSource, Evaluator
from curbside.readmodels.alert_sources import DeviceStateSource, SanitationSource
from curbside.vocabulary.alerts import AlertKind
from curbside.vocabulary.readings import BinLevel, SpaceStatus

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
BEHIND = NOW - timedelta(hours=3)
DEVICES = 40
LOOKBACK = timedelta(days=7)
CITY = parse_city(
    {
        "parking_zones": [
            {
                "id": "Z01",
                "name": "Main",
                "tariff": "t",
                "spaces": [{"id": f"S{n:02d}", "lat": 0, "lon": 0} for n in range(DEVICES)],
            }
        ],
        "sanitation_districts": [
            {
                "id": "D1",
                "name": "East",
                "clearance_deadline": "19:00",
                "bins": [
                    {"id": f"B{n:02d}", "capacity_l": 240, "depth_cm": 90, "lat": 0, "lon": 0}
                    for n in [*range(DEVICES), 99]
                ],
            }
        ],
    }
)


def _replayed_stream() -> list[str]:
    """Three hours of history ending three hours ago: spaces every 10 min, bins every 15 min
    rising 20 %/h to 90 %, and bin B99 quiet for the last 2 h 30 min of it."""
    lines = []
    for n in range(DEVICES):
        for step in range(19):
            ts = BEHIND - timedelta(minutes=10 * step + n % 10)
            lines.append(to_line(SpaceStatus("Z01", f"S{n:02d}", step % 2 == 0, ts)))
        for step in range(13):
            ts = BEHIND - timedelta(minutes=15 * step)
            fill = 90.0 - 20.0 * step / 4
            lines.append(to_line(BinLevel("D1", f"B{n:02d}", fill_pct=fill, ts=ts)))
    for step in range(3):
        ts = BEHIND - timedelta(hours=2, minutes=30 + 15 * step)
        lines.append(to_line(BinLevel("D1", "B99", fill_pct=20.0, ts=ts)))
    return lines


def test_a_stream_three_hours_behind_raises_no_flood_of_silent_or_stale_alerts(
    influx: InfluxClient,
) -> None:
    influx.write(_replayed_stream())
    assert newest_reading(influx, LOOKBACK) == BEHIND
    thresholds = AlertThresholds()
    sources: list[ConditionSource] = [
        DeviceStateSource(LatestReader(influx, LOOKBACK), CITY, thresholds),
        SanitationSource(SanitationHistoryReader(influx), CITY, thresholds, ClearanceRules()),
    ]
    evaluator = Evaluator(
        AlertStore(influx),
        sources,
        lambda alert: None,
        progress=lambda: newest_reading(influx, LOOKBACK),
    )
    opened = evaluator.evaluate(NOW)
    silent = sorted(a.subject.device for a in opened if a.kind is AlertKind.SENSOR_SILENT)
    assert silent == ["B99"]
    assert [a for a in opened if a.kind is AlertKind.OVERFLOW_SOON] == []
    # The bins really are at 90 % in the data: that is news, not noise.
    full = [a for a in opened if a.kind is AlertKind.FULL]
    assert len(full) == DEVICES
