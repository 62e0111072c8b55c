"""Raw readings age out under their own retention policy; their hours and the alerts stay.

Against the real InfluxDB that scripts/test starts (its retention service checks every second,
CURBSIDE_INFLUX_RETENTION_CHECK=1s): readings written five hours ago, rolled up by the
recorder's job, then the raw policy shortened to one hour, so influxd itself drops them. The
hour's figures are worked out by hand from the three readings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_now, get_sanitation_history
from curbside.adapters.access.roles import Role
from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.retention import (
    KEEP,
    RAW,
    ROLLUP,
    RetentionPlan,
    current_policies,
    ensure_retention,
)
from curbside.adapters.influx.rollups import HourlyRollup, hourly_levels
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.influx.schema import to_line
from curbside.config.settings import Settings
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from curbside.vocabulary.readings import BinLevel
from tests.records.test_clearance_records import city
from tests.support import bearer, issue_key

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
HOUR = (NOW - timedelta(hours=5)).replace(minute=0, second=0)


@pytest.fixture
def rolled(influx: InfluxClient) -> Iterator[InfluxClient]:
    assert ensure_retention(influx, RetentionPlan(raw_days=1, rollup_days=0))
    yield influx


def raw_count(influx: InfluxClient) -> int:
    series = influx.query("SELECT count(fill_pct) FROM bin_level")
    return sum(int(row["count"]) for s in series for row in s.rows())


def test_policies_are_made_once_and_follow_the_settings(influx: InfluxClient) -> None:
    plan = RetentionPlan(raw_days=90, rollup_days=1825)
    assert ensure_retention(influx, plan)
    assert current_policies(influx) == {
        KEEP: ("INF", False),
        RAW: ("90d", True),
        ROLLUP: ("1825d", False),
    }
    # Again: nothing to do. A new setting: altered in place, nothing dropped.
    assert ensure_retention(influx, plan) == []
    assert ensure_retention(influx, RetentionPlan(raw_days=30, rollup_days=0)) == [
        f'ALTER RETENTION POLICY "{ROLLUP}" ON "{influx.database}" DURATION INF',
        f'ALTER RETENTION POLICY "{RAW}" ON "{influx.database}" DURATION 30d',
    ]
    assert current_policies(influx)[RAW] == ("30d", True)


def test_a_reading_past_the_raw_horizon_is_gone_and_its_hour_still_answered(
    rolled: InfluxClient, tmp_path: Path
) -> None:
    influx = rolled
    influx.write(
        [
            to_line(BinLevel("D1", "B1", fill_pct=pct, ts=HOUR + timedelta(minutes=m)))
            for m, pct in ((5, 40.0), (25, 60.0), (45, 50.0))
        ]
    )
    alert = Alert(
        kind=AlertKind.FULL,
        subject=Subject(Domain.SANITATION, "D1", "B1"),
        opened_at=HOUR + timedelta(minutes=25),
        status=AlertStatus.OPEN,
        detail="full",
        updated_at=HOUR + timedelta(minutes=25),
    )
    AlertStore(influx).save([alert])
    assert raw_count(influx) == 3
    assert HourlyRollup(influx, timedelta(days=1)).run(NOW) == 1
    # The horizon passes: the raw policy now keeps one hour, and influxd drops the rest.
    influx.query(f'ALTER RETENTION POLICY "{RAW}" ON "{influx.database}" DURATION 1h')
    deadline = time.monotonic() + 60
    while raw_count(influx) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert raw_count(influx) == 0, "influxd did not drop the readings past the raw horizon"
    (hour,) = hourly_levels(influx, "D1", "B1", HOUR - timedelta(hours=1), NOW)
    assert hour.hour == HOUR
    assert (hour.mean_fill_pct, hour.min_fill_pct, hour.max_fill_pct) == (50.0, 40.0, 60.0)
    assert (hour.last_fill_pct, hour.readings) == (50.0, 3)
    # The alert is kept: it is not a raw reading.
    assert AlertStore(influx).get(alert.id) == alert
    # Through the API: with an eight-day raw horizon, nine days on the day is past it, so
    # /levels answers from the rollups.
    keys = tmp_path / "keys.json"
    settings = Settings().replace(api_keys_file=keys, influx_raw_retention_days=8)
    app = create_app(settings, city())
    app.dependency_overrides[get_sanitation_history] = lambda: SanitationHistoryReader(influx)
    app.dependency_overrides[get_now] = lambda: NOW + timedelta(days=9)
    client = TestClient(app, headers=bearer(issue_key(keys, Role.ADMIN, name="admin")))
    day = HOUR.astimezone(city().tz).date().isoformat()
    body = client.get(
        "/api/v1/sanitation/levels", params={"date": day, "district": "D1", "bin": "B1"}
    ).json()
    assert body["resolution"] == "hour"
    assert [(lv["fill_pct"]) for lv in body["levels"]] == [50.0]
    assert body["hours"][0]["readings"] == 3
