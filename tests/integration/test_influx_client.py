"""The InfluxDB adapter against the real server: writes, queries, idempotency, error classes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from curbside.adapters.influx.client import InfluxClient, QueryFailed, Unavailable, WriteRejected
from curbside.adapters.influx.schema import to_line
from curbside.config.settings import Settings
from curbside.vocabulary.readings import SpaceStatus

pytestmark = pytest.mark.integration

TS = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def _count(influx: InfluxClient, measurement: str) -> int:
    series = influx.query(f'SELECT count(*) FROM "{measurement}"')
    if not series:
        return 0
    row = series[0].rows()[0]
    return int(max(v for k, v in row.items() if k != "time"))


def test_write_then_query_round_trip(influx: InfluxClient) -> None:
    influx.write([to_line(SpaceStatus("Z01", "Z01-001", True, TS, battery_v=3.61))])
    [series] = influx.query("SELECT occupied, battery_v, space, zone FROM parking_status")
    assert series.rows() == [
        {
            "time": 1_795_737_600_000,
            "occupied": 1,
            "battery_v": 3.61,
            "space": "Z01-001",
            "zone": "Z01",
        }
    ]


def test_the_same_message_stored_twice_is_one_point(influx: InfluxClient) -> None:
    line = to_line(SpaceStatus("Z01", "Z01-001", True, TS))
    influx.write([line])
    influx.write([line, line])
    assert _count(influx, "parking_status") == 1


def test_field_type_conflict_is_a_rejected_write(influx: InfluxClient) -> None:
    influx.write(["m,k=a v=1i 1795737600000"])
    with pytest.raises(WriteRejected) as caught:
        influx.write(['m,k=a v="text" 1795737601000'])
    assert caught.value.status == 400


def test_wrong_password_is_refused_clearly(settings: Settings) -> None:
    client = InfluxClient(
        settings.influx.url, settings.influx.db, username="curbside", password="wrong"
    )
    with pytest.raises(QueryFailed, match="401"):
        client.query("SHOW DATABASES")
    client.close()


def test_nobody_listening_is_unavailable() -> None:
    client = InfluxClient("http://127.0.0.1:9", "x", timeout_s=1)
    assert not client.ping()
    with pytest.raises(Unavailable):
        client.write(["m v=1i 1"])
    client.close()


def test_ping(influx: InfluxClient) -> None:
    assert influx.ping()
