"""Shared fixtures: the real Mosquitto and InfluxDB that scripts/test started.

Integration and end-to-end tests never mock these. If they are not running, the tests fail
with a message saying how to start them, rather than skipping: a skipped suite proves nothing.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from config.settings import Settings, load_settings
from mqttclient import BrokerAccess, connack
from provisioning.broker import reload_broker
from provisioning.changes import add_service
from provisioning.store import BrokerFiles, broker_dir
from store.influx import InfluxClient
from tests.support import wait_for

# No per-example deadline: these machines are shared and a slow moment is not a bug. In CI,
# examples are derived from the test itself, so a run can be repeated exactly.
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
TEST_ACCOUNT = "curbside-test"

TEST_DEFAULTS = {
    "CURBSIDE_RUN_DIR": str(REPO / ".run" / "test"),
    "CURBSIDE_MQTT_PORT": "18830",
    "CURBSIDE_INFLUX_URL": "http://127.0.0.1:18086",
    "CURBSIDE_INFLUX_USERNAME": "curbside",
    "CURBSIDE_INFLUX_PASSWORD": "curbside-dev-only",
    "CURBSIDE_INFLUX_DB": "curbside_test",
}
for _key, _value in TEST_DEFAULTS.items():
    os.environ.setdefault(_key, _value)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """Settings for the test services, failing loudly if they are not running."""
    settings = load_settings(ingest_metrics_port=0)
    influx = urlparse(settings.influx_url)
    for name, host, port in [
        ("Mosquitto", settings.mqtt_host, settings.mqtt_port),
        ("InfluxDB", influx.hostname or "127.0.0.1", influx.port or 8086),
    ]:
        if not _reachable(host, port):
            pytest.fail(
                f"{name} is not answering on {host}:{port}. Run the suite with scripts/test, "
                "or start the test services with the ports scripts/test uses."
            )
    return _log_in_as_test_runner(settings)


def _log_in_as_test_runner(settings: Settings) -> Settings:
    """Give the suite its own broker account (a new password each session) and use it.

    The broker lets no one in anonymously. The account goes into the environment too, so
    that the processes tests start (ingest, API, simulators) log in with it as well.
    """
    files = BrokerFiles(broker_dir(settings))
    issued = add_service(files, "test", TEST_ACCOUNT, rotate=True)
    if reload_broker(files.pid_file) is None:
        pytest.fail(f"no running broker for {files.broker_dir}; start it with scripts/test")
    os.environ["CURBSIDE_MQTT_USERNAME"] = issued.username
    os.environ["CURBSIDE_MQTT_PASSWORD"] = issued.password
    settings = load_settings(ingest_metrics_port=0)
    access = BrokerAccess.from_settings(settings)
    wait_for(
        lambda: connack(access, client_id=f"test-login-{uuid.uuid4().hex[:8]}") == 0,
        30,
        "the broker to accept the test account",
    )
    return settings


@pytest.fixture
def unique() -> str:
    """A short id unique to this test, for databases, client ids and topics."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def settings(base_settings: Settings, unique: str) -> Settings:
    """Settings with a database and an MQTT client id of this test's own."""
    return base_settings.model_copy(
        update={"influx_db": f"test_{unique}", "mqtt_client_id": f"ingest-{unique}"}
    )


@pytest.fixture
def influx(settings: Settings) -> Iterator[InfluxClient]:
    """A client on this test's own database, dropped afterwards."""
    client = InfluxClient.from_settings(settings)
    client.ensure_database()
    yield client
    client.query(f'DROP DATABASE "{settings.influx_db}"')
    client.close()
