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

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings, load_settings
from tests.support import issue_key, on_rabbitmq, with_test_account

# No per-example deadline: these machines are shared and a slow moment is not a bug. In CI,
# examples are derived from the test itself, so a run can be repeated exactly.
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]

TEST_DEFAULTS = {
    "CURBSIDE_RUN_DIR": str(REPO / ".run" / "test"),
    "CURBSIDE_MQTT_PORT": "18830",
    "CURBSIDE_INFLUX_URL": "http://127.0.0.1:18086",
    "CURBSIDE_INFLUX_USERNAME": "curbside",
    "CURBSIDE_INFLUX_PASSWORD": "curbside-dev-only",
    "CURBSIDE_INFLUX_DB": "curbside_test",
    # The RabbitMQ suite's cluster (scripts/test starts one node unless told otherwise).
    "CURBSIDE_RABBITMQ_PORT_BASE": "18900",
    "CURBSIDE_RABBITMQ_NODES": "1",
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
    settings = load_settings(ingest_metrics_port=0, alerts_metrics_port=0, recorder_metrics_port=0)
    influx = urlparse(settings.influx.url)
    for name, host, port in [
        ("Mosquitto", settings.mqtt.host, settings.mqtt.port),
        ("InfluxDB", influx.hostname or "127.0.0.1", influx.port or 8086),
    ]:
        if not _reachable(host, port):
            pytest.fail(
                f"{name} is not answering on {host}:{port}. Run the suite with scripts/test, "
                "or start the test services with the ports scripts/test uses."
            )
    return _log_in_as_test_runner(settings)


@pytest.fixture(scope="session")
def rabbitmq_settings(base_settings: Settings) -> Settings:
    """``base_settings`` on the RabbitMQ cluster scripts/test started, failing loudly if it
    is not running."""
    port = base_settings.rabbitmq.port_base + 1
    if not _reachable("127.0.0.1", port):
        pytest.fail(
            f"RabbitMQ is not answering on 127.0.0.1:{port}. Run the suite with scripts/test, "
            "or start it with: scripts/services start rabbitmq (CURBSIDE_RABBITMQ_PORT_BASE)."
        )
    return on_rabbitmq(base_settings)


def _log_in_as_test_runner(settings: Settings) -> Settings:
    """The broker lets no one in anonymously: give the suite an account of its own (a new
    password each session), also in the environment, so that the processes tests start
    (ingest, API, simulators) log in with it too."""
    settings = with_test_account(settings)
    assert settings.mqtt.username is not None and settings.mqtt.password is not None
    os.environ["CURBSIDE_MQTT_USERNAME"] = settings.mqtt.username
    os.environ["CURBSIDE_MQTT_PASSWORD"] = settings.mqtt.password.get_secret_value()
    return settings


@pytest.fixture
def unique() -> str:
    """A short id unique to this test, for databases, client ids and topics."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    """This test's own API keys file (empty until a key is issued)."""
    return tmp_path / "api-keys.json"


@pytest.fixture
def admin_token(keys_file: Path) -> str:
    """An admin API key in this test's keys file: it may call every route."""
    return issue_key(keys_file, name="test-admin")


@pytest.fixture
def settings(base_settings: Settings, unique: str, keys_file: Path) -> Settings:
    """Settings with a database, an MQTT client id and an API keys file of this test's own."""
    return base_settings.replace(
        influx_db=f"test_{unique}", mqtt_client_id=f"ingest-{unique}", api_keys_file=keys_file
    )


@pytest.fixture
def influx(settings: Settings) -> Iterator[InfluxClient]:
    """A client on this test's own database, dropped afterwards."""
    client = InfluxClient.from_settings(settings)
    client.ensure_database()
    yield client
    client.query(f'DROP DATABASE "{settings.influx.db}"')
    client.close()
