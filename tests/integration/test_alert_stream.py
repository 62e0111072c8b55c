"""Server-sent events: alert changes published on MQTT reach an open stream of the real API
process, filtered as asked; the alert and live streams end when their key is revoked."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from curbside.adapters.access.roles import Role
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.mqtt.alert_publisher import AlertPublisher
from curbside.config.settings import Settings
from curbside.domain.alerts.lifecycle import reconcile
from curbside.vocabulary.alerts import AlertKind, Condition, Domain, Subject
from tests.e2e.town import api_server, small_city
from tests.support import SOME_MESSAGE, bearer, issue_key, wait_for

pytestmark = pytest.mark.integration

# With microseconds, as the evaluator's clock has them: the stream must send milliseconds.
T0 = datetime.now(UTC).replace(microsecond=123456) - timedelta(minutes=5)
REST_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _events(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: ") :]) for line in lines if line.startswith("data: ")]


def _overstay(zone: str) -> Condition:
    return Condition(
        AlertKind.OVERSTAY, Subject(Domain.PARKING, zone, f"{zone}-001"), "x", SOME_MESSAGE
    )


def test_stream_relays_matching_alert_changes(
    settings: Settings, influx: InfluxClient, unique: str, tmp_path: Path
) -> None:
    city_file = tmp_path / "city.yaml"
    city_file.write_text(yaml.safe_dump(small_city(), allow_unicode=True))
    other, wanted = (
        reconcile([], [_overstay(zone)], frozenset(AlertKind), T0)[0] for zone in ("Z02", "Z01")
    )
    lines: list[str] = []
    connected = threading.Event()
    stop = threading.Event()

    def read(api: httpx.Client) -> None:
        with api.stream("GET", "/api/v1/alerts/stream", params={"zone": "Z01"}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                lines.append(line)
                connected.set()
                if stop.is_set() or _events(lines):
                    return

    publisher = AlertPublisher(settings, client_id=f"stream-test-{unique}")
    try:
        with api_server(settings, city_file, tmp_path / "api.log") as api:
            assert api.get("/api/v1/alerts/stream", params={"zone": "Z9"}).status_code == 404
            reader = threading.Thread(target=read, args=(api,), daemon=True)
            reader.start()
            wait_for(connected.is_set, 10, "the stream to open")

            # The API's subscription may still be settling: publish until the event arrives.
            def delivered() -> bool:
                publisher.publish(other)
                publisher.publish(wanted)
                return bool(_events(lines))

            wait_for(delivered, 15, "the alert on the stream", interval_s=0.5)
            stop.set()
            reader.join(10)
    finally:
        publisher.close()
    events = _events(lines)
    assert events, lines
    assert {e["id"] for e in events} == {wanted.id}  # Z02's alert was filtered out
    assert events[0]["zone"] == "Z01" and events[0]["status"] == "open"
    # One time format in every JSON the API sends (docs/api.md): the REST one.
    for name in ("opened_at", "updated_at"):
        assert REST_TIME.fullmatch(events[0][name]), events[0]
    assert events[0]["opened_at"] == T0.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert any(line == "event: alert" for line in lines)


@pytest.mark.parametrize("stream", ["/api/v1/alerts/stream", "/api/v1/live/stream"])
def test_a_stream_ends_when_its_key_is_revoked(
    settings: Settings, influx: InfluxClient, tmp_path: Path, stream: str
) -> None:
    city_file = tmp_path / "city.yaml"
    city_file.write_text(yaml.safe_dump(small_city(), allow_unicode=True))
    viewer = issue_key(settings.api.keys_file, Role.VIEWER, name="wall screen")
    lines: list[str] = []
    ended = threading.Event()

    def read(api: httpx.Client) -> None:
        with api.stream("GET", stream, headers=bearer(viewer)) as response:
            assert response.status_code == 200
            lines.extend(response.iter_lines())
        ended.set()

    with api_server(settings, city_file, tmp_path / "api.log") as api:
        reader = threading.Thread(target=read, args=(api,), daemon=True)
        reader.start()
        wait_for(lambda: bool(lines), 10, "the stream to open")
        assert not ended.is_set()
        key_id = viewer.split("_")[1]
        assert api.delete(f"/api/v1/keys/{key_id}").status_code == 204
        # A stream checks its key before each event and keep-alive (one at least every 15 s).
        wait_for(ended.is_set, 30, "the stream of a revoked key to end")
        assert api.get("/api/v1/alerts", headers=bearer(viewer)).status_code == 401
