"""Fixtures for end-to-end tests: the town's registry file and a running ingester."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from config.settings import Settings
from ingest.service import Ingester
from store.influx import InfluxClient
from tests.e2e.town import small_city
from tests.support import forget_session, wait_for


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    """The small town's registry, written where the processes can read it."""
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(small_city(), allow_unicode=True))
    return path


@pytest.fixture
def ingester(settings: Settings, influx: InfluxClient, city_file: Path) -> Iterator[Ingester]:
    """An ingester for the town on this test's database, connected; its session is
    forgotten afterwards so it collects nothing for later tests."""
    running = Ingester(settings.model_copy(update={"city_file": city_file}))
    running.start()
    try:
        wait_for(
            lambda: running.metrics.value("curbside_ingest_broker_connected") == 1,
            10,
            "ingest to connect",
        )
        yield running
    finally:
        running.stop()
        forget_session(settings, settings.mqtt_client_id)
