"""Fault-injection fixtures: each test module gets a private Mosquitto and InfluxDB.

The fault tests own 600 ports from ``CURBSIDE_TEST_FAULTS_PORT_BASE`` (default 48100); a
module names its slot of 100 in ``PORT_SLOT`` (0-5). Within a slot the broker takes a port
from +1, InfluxDB from +30 (its RPC listener at HTTP + 2) and the ingester's metrics from +60:
the first that is free, because these ports lie in Linux's ephemeral range, where any
program's outgoing connection may briefly hold one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from curbside.config.settings import Settings
from tests.faults.stack import IngesterProcess, PrivateServices
from tests.support import with_test_account
from tools.harness.ports import free_port

ATTEMPTS = 5


@pytest.fixture(scope="module")
def services(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    base_settings: Settings,
) -> Iterator[PrivateServices]:
    """A private Mosquitto and InfluxDB for this module, stopped afterwards."""
    base = _slot_base(request)
    run_dir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    failures: list[str] = []
    for attempt in range(ATTEMPTS):
        mqtt_port = free_port(base + 1 + attempt)
        influx_port = free_port(base + 30 + 3 * attempt, also=2)
        stack = PrivateServices(base_settings, run_dir / str(attempt), mqtt_port, influx_port)
        try:
            stack.run("start")
            # A new broker lets no one in: give it the suite's account and log in as that.
            stack.settings = with_test_account(stack.settings)
            break
        except AssertionError as exc:  # a port taken in the meantime: try the next ones
            failures.append(str(exc))
            stack.run("stop")
    else:
        pytest.fail("could not start private services:\n" + "\n".join(failures))
    try:
        yield stack
    finally:
        stack.run("stop")


@pytest.fixture
def ingester(
    request: pytest.FixtureRequest, services: PrivateServices
) -> Iterator[IngesterProcess]:
    """An ingester subprocess (not started) on the private stack; stopped afterwards."""
    metrics_port = free_port(_slot_base(request) + 60)
    process = IngesterProcess(services.settings, metrics_port, services.run_dir / "ingest.log")
    yield process
    if process.popen is not None:
        process.stop()


def _slot_base(request: pytest.FixtureRequest) -> int:
    first = int(os.environ.get("CURBSIDE_TEST_FAULTS_PORT_BASE", "48100"))
    return first + 100 * int(request.module.PORT_SLOT)
