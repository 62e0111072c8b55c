"""Fault-injection fixtures: each test module gets a private Mosquitto and InfluxDB.

The fault tests own 600 ports from ``CURBSIDE_TEST_FAULTS_PORT_BASE`` (default 48100). A module
names its slot in ``PORT_SLOT`` (0-5); its broker listens on base + 100 * slot + 1, InfluxDB on
+ 11 (RPC + 13) and the ingester's metrics on + 21.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from config.settings import Settings
from tests.faults.stack import IngesterProcess, PrivateServices


@pytest.fixture(scope="module")
def services(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    base_settings: Settings,
) -> Iterator[PrivateServices]:
    """A private Mosquitto and InfluxDB for this module, stopped (and deleted) afterwards."""
    mqtt_port, influx_port, _metrics_port = _ports(request)
    run_dir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    stack = PrivateServices(base_settings, run_dir, mqtt_port, influx_port)
    try:
        stack.run("start")
        yield stack
    finally:
        stack.run("stop")


@pytest.fixture
def ingester(
    request: pytest.FixtureRequest, services: PrivateServices
) -> Iterator[IngesterProcess]:
    """An ingester subprocess (not started) on the private stack; stopped afterwards."""
    _mqtt, _influx, metrics_port = _ports(request)
    process = IngesterProcess(services.settings, metrics_port, services.run_dir / "ingest.log")
    yield process
    if process.process is not None:
        process.stop()


def _ports(request: pytest.FixtureRequest) -> tuple[int, int, int]:
    first = int(os.environ.get("CURBSIDE_TEST_FAULTS_PORT_BASE", "48100"))
    base = first + 100 * int(request.module.PORT_SLOT)
    return base + 1, base + 11, base + 21
