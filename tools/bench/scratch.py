"""A scratch database for the benchmarks that write their own data into a running InfluxDB."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings

SCRATCH_DB = "curbside_bench"


@contextmanager
def scratch_database(settings: Settings) -> Iterator[InfluxClient]:
    """A client of the database ``curbside_bench`` on the configured InfluxDB, dropped after."""
    client = InfluxClient.from_settings(settings.replace(influx_db=SCRATCH_DB))
    client.ensure_database()
    try:
        yield client
    finally:
        client.query(f'DROP DATABASE "{SCRATCH_DB}"')
        client.close()
