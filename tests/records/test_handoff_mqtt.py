"""Case events on MQTT through the real broker: each published on its case's topic with its
idempotency key, and settled as delivered once the broker acknowledged it."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from curbside.adapters.handoff.mqtt import MqttSender
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import OutboxMessage
from curbside.config.settings import Settings
from curbside.handoff.deliverer import Deliverer
from curbside.recorder.cases import CaseRecorder
from curbside.vocabulary.alerts import AlertKind
from curbside.vocabulary.outbox import Channel
from tests.records.test_case_records import BIN, CITY, OTHER_BIN, T0, message
from tests.support import mqtt_client, wait_for


def test_case_events_are_published_on_their_topics(settings: Settings, tmp_path: Path) -> None:
    engine = record_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    upgrade(engine)
    sessions = session_factory(engine)
    mqtt_only: tuple[Channel, ...] = ("mqtt",)
    recorder = CaseRecorder(CITY, channels=mqtt_only)
    with sessions.begin() as db:
        alerts = [recorder.alert_of(message(AlertKind.FIRE, s)) for s in (BIN, OTHER_BIN)]
        recorder.open_for(db, alerts, T0)
    heard: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def on_message(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with lock:
            heard.append((msg.topic, json.loads(msg.payload)))

    listener = mqtt_client(settings)
    listener.on_message = on_message
    subscribed = threading.Event()
    listener.on_subscribe = lambda *args: subscribed.set()
    listener.subscribe(f"cases/fire/sanitation/{BIN.group}/#", qos=1)
    assert subscribed.wait(10), "no SUBACK"
    sender = MqttSender(settings, timeout_s=5)
    deliverer = Deliverer(sessions, {"mqtt": sender}, settings.handoff)
    try:
        wait_for(lambda: deliverer.run_once() >= 0 and len(heard) >= 2, 30, "both events")
    finally:
        deliverer.close()
        listener.disconnect()
        listener.loop_stop()
    topics = sorted(topic for topic, _ in heard)
    assert topics == sorted(f"cases/fire/sanitation/{s.group}/{s.device}" for s in (BIN, OTHER_BIN))
    assert {d["type"] for _, d in heard} == {"case.opened"}
    assert {d["key"] for _, d in heard} == {f"{a.id}#1" for a in alerts}
    with Session(engine) as db:
        pending = db.scalar(select(func.count()).where(OutboxMessage.delivered_at.is_(None)))
    assert pending == 0
    engine.dispose()
