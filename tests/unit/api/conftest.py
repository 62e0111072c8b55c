"""A small city, a snapshot built from known device states, and the app with both injected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_broker, get_live_state
from curbside.adapters.influx.latest import Latest, SinceAnswer, SinceQuestion
from curbside.city.registry import City, parse_city
from curbside.config.settings import load_settings
from curbside.domain.parking.occupancy import SpaceState
from curbside.domain.sanitation.bins import BinState
from curbside.domain.telemetry.latest_state import DeviceKey, LatestStates
from curbside.readmodels.live.state import LiveState, Snapshot, build_snapshot
from curbside.vocabulary.readings import Reading
from tests.support import bearer

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
STALE_AFTER = timedelta(hours=1)


def _space(space_id: str) -> dict[str, object]:
    return {"id": space_id, "lat": 29.87, "lon": 121.54}


def _bin(bin_id: str) -> dict[str, object]:
    return {"id": bin_id, "capacity_l": 240, "depth_cm": 100, "lat": 29.87, "lon": 121.54}


def make_city() -> City:
    """Zones Z2 (listed first) and Z1; districts D1 and D2; a transfer station."""
    return parse_city(
        {
            "parking_zones": [
                {"id": "Z2", "name": "Second Road", "tariff": "t", "spaces": [_space("B-1")]},
                {
                    "id": "Z1",
                    "name": "First Road",
                    "tariff": "t",
                    "spaces": [_space("A-2"), _space("A-1"), _space("A-3"), _space("A-4")],
                },
            ],
            "sanitation_districts": [
                {
                    "id": "D1",
                    "name": "East",
                    "clearance_deadline": "19:00",
                    "bins": [_bin("D1-B2"), _bin("D1-B1")],
                },
                {
                    "id": "D2",
                    "name": "West",
                    "clearance_deadline": "19:00",
                    "bins": [_bin("D2-B1")],
                },
            ],
            "transfer_stations": [{"id": "TS1", "name": "Station", "lat": 29.86, "lon": 121.53}],
        }
    )


def make_latest() -> Latest:
    """Z1: A-1 occupied, A-2 free, A-3 occupied but stale, A-4 never seen; Z2 all unknown."""
    return Latest(
        spaces=[
            SpaceState(
                "Z1", "A-1", True, NOW - timedelta(minutes=40), NOW - timedelta(minutes=1), 3.61
            ),
            SpaceState(
                "Z1", "A-2", False, NOW - timedelta(hours=3), NOW - timedelta(minutes=5), 3.5
            ),
            SpaceState("Z1", "A-3", True, NOW - timedelta(hours=5), NOW - timedelta(hours=2), None),
            # Not in the registry: must not show up anywhere.
            SpaceState("Z1", "A-9", True, NOW, NOW, 3.0),
        ],
        bins=[
            BinState("D1", "D1-B1", 72.5, NOW - timedelta(minutes=3), 3.3, 18.25, False),
            BinState("D2", "D2-B1", None, NOW - timedelta(minutes=7), 3.1, None, True),
        ],
    )


def make_snapshot() -> Snapshot:
    return build_snapshot(make_city(), make_latest(), NOW, STALE_AFTER)


class FakeBroker:
    def __init__(self, connected: bool = True, following: bool = True) -> None:
        self.connected = connected
        self.following = following
        self.received = 0
        self.rejected: dict[str, int] = {}


class Untouchable:
    """A database and a feed the route tests must not use: the snapshot is injected."""

    connects = 0
    overflows = 0

    def read_states(self) -> LatestStates:
        raise AssertionError("route tests must not read the database")

    def settle_since(self, questions: list[SinceQuestion]) -> dict[DeviceKey, SinceAnswer]:
        raise AssertionError("route tests must not read the database")

    def check(self) -> None:
        raise AssertionError("route tests must not read the database")

    def drain(self, limit: int) -> list[tuple[float, list[Reading]]]:
        raise AssertionError("route tests must not follow the stream")


@pytest.fixture
def live() -> LiveState:
    untouchable = Untouchable()
    state = LiveState(
        make_city(),
        untouchable,
        untouchable,
        stale_after=STALE_AFTER,
        interval_s=60,
        full_read_s=600,
        settle_s=2,
    )
    state.snapshot = make_snapshot()
    return state


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def client(
    live: LiveState, broker: FakeBroker, keys_file: Path, admin_token: str
) -> Iterator[TestClient]:
    # Not entered as a context manager: the lifespan (real clients) must not run.
    app = create_app(load_settings(api_keys_file=keys_file), make_city())
    app.dependency_overrides[get_live_state] = lambda: live
    app.dependency_overrides[get_broker] = lambda: broker
    yield TestClient(app, headers=bearer(admin_token))
