"""The alert evaluator against the real InfluxDB and Mosquitto: an overstay opens once, is
published under alerts/, and resolves when the car leaves."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.latest import LatestReader
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.influx.schema import to_line
from curbside.adapters.mqtt.alert_publisher import AlertPublisher
from curbside.city.registry import parse_city
from curbside.config.settings import Settings
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.parking.sessions import SessionRules
from curbside.domain.sanitation.clearance import ClearanceRules
from curbside.evaluator import Evaluator
from curbside.readmodels.alert_sources import DeviceStateSource, OverstaySource, SanitationSource
from curbside.vocabulary.alerts import AlertKind, AlertStatus
from curbside.vocabulary.readings import BinEmptied, BinLevel, SpaceStatus
from tests.support import mqtt_client, wait_for

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
CITY = parse_city(
    {
        "parking_zones": [
            {
                "id": "Z01",
                "name": "Main",
                "tariff": "t",
                "max_stay_minutes": 120,
                "spaces": [{"id": f"Z01-00{n}", "lat": 0, "lon": 0} for n in (1, 2)],
            },
            {
                "id": "Z02",
                "name": "No limit",
                "tariff": "t",
                "spaces": [{"id": "Z02-001", "lat": 0, "lon": 0}],
            },
        ]
    }
)
RULES = SessionRules(debounce=timedelta(seconds=60), silent_after=timedelta(hours=1))


def _heartbeats(
    zone: str, space: str, occupied: bool, since: datetime, until: datetime
) -> list[str]:
    lines, ts = [], since
    while ts <= until:
        lines.append(to_line(SpaceStatus(zone, space, occupied, ts)))
        ts += timedelta(minutes=10)
    return lines


def test_overstay_opens_once_is_published_and_resolves(
    settings: Settings, influx: InfluxClient, unique: str
) -> None:
    # Z01-001 parked 3 h (over the 2 h limit); Z01-002 parked 1 h; Z02-001 parked 5 h, no limit.
    influx.write(
        _heartbeats("Z01", "Z01-001", True, NOW - timedelta(hours=3), NOW)
        + _heartbeats("Z01", "Z01-002", True, NOW - timedelta(hours=1), NOW)
        + _heartbeats("Z02", "Z02-001", True, NOW - timedelta(hours=5), NOW)
    )
    received: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def on_message(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with lock:
            received.append((msg.topic, json.loads(msg.payload)))

    listener = mqtt_client(settings)
    listener.on_message = on_message
    listener.subscribe("alerts/#", qos=1)
    publisher = AlertPublisher(settings, client_id=f"alerts-{unique}")
    store = AlertStore(influx)
    history = HistoryReader(influx, RULES, RULES.silent_after)
    evaluator = Evaluator(store, [OverstaySource(history, CITY, RULES)], publisher.publish)
    try:
        [opened] = evaluator.evaluate(NOW)
        assert (opened.kind, opened.subject.device, opened.status) == (
            AlertKind.OVERSTAY,
            "Z01-001",
            AlertStatus.OPEN,
        )
        assert evaluator.evaluate(NOW + timedelta(minutes=1)) == []  # opens once
        assert [a.id for a in store.active()] == [opened.id]

        # The car leaves; the next evaluation resolves the alert.
        influx.write([to_line(SpaceStatus("Z01", "Z01-001", False, NOW + timedelta(minutes=2)))])
        [resolved] = evaluator.evaluate(NOW + timedelta(minutes=5))
        assert (resolved.id, resolved.status) == (opened.id, AlertStatus.RESOLVED)
        assert store.active() == []

        wait_for(lambda: len(received) == 2, 10, "both alert changes on MQTT")
        topics = {topic for topic, _ in received}
        assert topics == {"alerts/overstay/parking/Z01/Z01-001"}
        assert [doc["status"] for _, doc in received] == ["open", "resolved"]
        assert all(doc["id"] == opened.id for _, doc in received)
    finally:
        publisher.close()
        listener.disconnect()
        listener.loop_stop()


BIN_CITY = parse_city(
    {
        "parking_zones": [
            {"id": "Z01", "name": "Z", "tariff": "t", "spaces": [{"id": "S1", "lat": 0, "lon": 0}]}
        ],
        "sanitation_districts": [
            {
                "id": "D1",
                "name": "D",
                "clearance_deadline": "19:00",
                "bins": [
                    {"id": f"B{n}", "capacity_l": 240, "depth_cm": 90, "lat": 0, "lon": 0}
                    for n in range(1, 6)
                ],
            }
        ],
    }
)


def test_device_states_raise_and_resolve_their_alerts(influx: InfluxClient) -> None:
    minutes = [NOW - timedelta(minutes=m) for m in (30, 20, 10)]
    influx.write(
        [
            to_line(BinLevel("D1", "B1", fill_pct=86.0, ts=minutes[2])),  # full
            to_line(BinLevel("D1", "B2", fill_pct=40.0, temp_c=72.0, ts=minutes[2])),  # fire
            to_line(BinLevel("D1", "B3", fill_pct=10.0, tilted=True, ts=minutes[2])),  # tilted
            to_line(BinLevel("D1", "B4", fill_pct=20.0, battery_v=3.1, ts=minutes[2])),  # battery
            to_line(BinLevel("D1", "B5", fill_pct=20.0, ts=NOW - timedelta(hours=5))),  # silent
            to_line(SpaceStatus("Z01", "S1", True, minutes[2])),  # fine
        ]
    )
    store = AlertStore(influx)
    latest = LatestReader(influx, timedelta(days=7))
    source = DeviceStateSource(latest, BIN_CITY, AlertThresholds())
    evaluator = Evaluator(store, [source], lambda alert: None)
    opened = evaluator.evaluate(NOW)
    assert sorted((a.kind.value, a.subject.device) for a in opened) == [
        ("fire", "B2"),
        ("full", "B1"),
        ("low_battery", "B4"),
        ("sensor_silent", "B5"),
        ("tilted", "B3"),
    ]
    # A collection empties B1; B2 cools; B3 is set upright; the rest stay.
    later = NOW + timedelta(minutes=5)
    influx.write(
        [
            to_line(BinLevel("D1", "B1", fill_pct=2.0, ts=later)),
            to_line(BinLevel("D1", "B2", fill_pct=40.0, temp_c=25.0, ts=later)),
            to_line(BinLevel("D1", "B3", fill_pct=10.0, tilted=False, ts=later)),
        ]
    )
    resolved = evaluator.evaluate(later + timedelta(minutes=1))
    assert sorted((a.kind.value, a.subject.device, a.status.value) for a in resolved) == [
        ("fire", "B2", "resolved"),
        ("full", "B1", "resolved"),
        ("tilted", "B3", "resolved"),
    ]
    assert sorted(a.kind.value for a in store.active()) == ["low_battery", "sensor_silent"]


def test_overflow_soon_and_not_cleared_from_a_days_history(influx: InfluxClient) -> None:
    tz = BIN_CITY.tz
    day = (datetime.now(tz) - timedelta(days=1)).date()

    def at(hh: int, mm: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz).astimezone(UTC)

    def level(bin_id: str, ts: datetime, pct: float) -> str:
        return to_line(BinLevel("D1", bin_id, fill_pct=pct, ts=ts))

    influx.write(
        [
            # B1: rubbish from 08:00, never emptied: not cleared by the 19:00 deadline.
            level("B1", at(7), 3.0),
            level("B1", at(8), 50.0),
            level("B1", at(18), 60.0),
            # B2: emptied at 17:00 after its last rise: cleared on time.
            level("B2", at(7), 3.0),
            level("B2", at(8), 40.0),
            level("B2", at(17), 2.0),
            to_line(BinEmptied("D1", "B2", at(17), truck="T01")),
            # B3: emptied at 17:00, then 30, 50, 70 % hourly from 17:30: 100 % at 21:00, within
            # 2 h of 20:00; and rubbish since 17:30, not cleared by 19:00.
            level("B3", at(16, 30), 60.0),
            level("B3", at(17), 1.0),
            level("B3", at(17, 30), 30.0),
            level("B3", at(18, 30), 50.0),
            level("B3", at(19, 30), 70.0),
        ]
    )
    store = AlertStore(influx)
    source = SanitationSource(
        SanitationHistoryReader(influx), BIN_CITY, AlertThresholds(), ClearanceRules()
    )
    evaluator = Evaluator(store, [source], lambda alert: None)
    opened = evaluator.evaluate(at(20))
    assert sorted((a.kind.value, a.subject.device) for a in opened) == [
        ("not_cleared", "B1"),
        ("not_cleared", "B3"),
        ("overflow_soon", "B3"),
    ]
    overflow = next(a for a in opened if a.kind is AlertKind.OVERFLOW_SOON)
    assert "full at 21:00 local" in overflow.detail
    # A truck empties B1 at 20:10: its not_cleared alert resolves.
    influx.write([level("B1", at(20, 10), 2.0), to_line(BinEmptied("D1", "B1", at(20, 10)))])
    changed = evaluator.evaluate(at(20, 20))
    assert [(a.kind.value, a.subject.device, a.status.value) for a in changed] == [
        ("not_cleared", "B1", "resolved")
    ]
