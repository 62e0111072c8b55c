"""Fault-injection fixtures: each test module gets a private Mosquitto and InfluxDB.

A module names its ports in ``PRIVATE_PORTS = (mqtt, influx, ingest metrics)``, from the range
the fault tests own (see docs/reliability.md); InfluxDB's RPC port is its HTTP port + 2.
"""

from __future__ import annotations

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
    mqtt_port, influx_port, _metrics_port = request.module.PRIVATE_PORTS
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
    _mqtt, _influx, metrics_port = request.module.PRIVATE_PORTS
    process = IngesterProcess(services.settings, metrics_port, services.run_dir / "ingest.log")
    yield process
    if process.process is not None:
        process.stop()
