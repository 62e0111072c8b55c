"""The stream's progress: the timestamp of the newest reading stored
(curbside/domain/alerts/progress.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.lineprotocol import from_epoch_ms
from curbside.adapters.influx.schema import BIN_LEVEL, PARKING

# A field every point of each sensor measurement has.
_MEASUREMENTS = ((PARKING, "occupied"), (BIN_LEVEL, "fill_pct"))


def newest_reading(client: InfluxClient, lookback: timedelta) -> datetime | None:
    """When the newest parking status or bin level stored (within ``lookback``) was taken;
    None when there is none."""
    window = f"time > now() - {int(lookback.total_seconds())}s"
    statements = [
        # Constants only: no request text reaches the statement.
        f"SELECT last({field}) FROM {measurement} WHERE {window}"  # noqa: S608
        for measurement, field in _MEASUREMENTS
    ]
    newest: datetime | None = None
    for result in client.query_many(statements):
        for series in result:
            for row in series.values:
                seen = from_epoch_ms(int(row[0]))
                newest = seen if newest is None or seen > newest else newest
    return newest
