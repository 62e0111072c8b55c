"""Fixtures for end-to-end tests: the town's registry file and a running ingester."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings
from ingest.service import Ingester
from tests.e2e.town import ingesting, small_city


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    """The small town's registry, written where the processes can read it."""
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(small_city(), allow_unicode=True))
    return path


@pytest.fixture
def ingester(settings: Settings, influx: InfluxClient, city_file: Path) -> Iterator[Ingester]:
    """An ingester for the town on this test's database, connected."""
    with ingesting(settings, city_file) as running:
        yield running
