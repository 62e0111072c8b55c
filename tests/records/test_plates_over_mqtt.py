"""Plates from a handheld over the real broker, bound by a real recorder, on SQLite and
PostgreSQL: bound to the stay covering their time, with the account as who saw them; bad
messages and plates where no stay was are counted and skipped, and recording goes on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import PlateBinding
from curbside.config.settings import Settings
from curbside.vocabulary.topics import plate_topic
from tests.records.recorder_process import recording, write_city
from tests.records.stream_truth import as_messages
from tests.support import mqtt_client, wait_for

pytestmark = [pytest.mark.records, pytest.mark.integration]


def plate(at: datetime, number: str = "粤B·D12345", colour: str = "green") -> bytes:
    return json.dumps(
        {"plate": number, "colour": colour, "observed_at": at.isoformat(), "source": "pda"}
    ).encode()


def test_a_handhelds_plate_is_bound_to_the_stay_it_saw(
    settings: Settings, records_url: str, tmp_path: Path, unique: str
) -> None:
    zone = f"PZ{unique}"
    city_file = write_city(tmp_path / "city.yaml", zone, 2)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    messages = [
        *as_messages([(zone, "S0", t0, False), (zone, "S0", t0 + timedelta(minutes=1), True)]),
        (plate_topic("pda-7", zone, "S0"), plate(t0 + timedelta(minutes=3))),
        (plate_topic("pda-7", zone, "S0"), plate(t0 + timedelta(minutes=4))),  # same again
        (plate_topic("pda-7", zone, "S1"), plate(t0 + timedelta(minutes=3))),  # no stay there
        (plate_topic("pda-7", zone, "S0"), plate(t0, "粤B1234")),  # not a plate
        (plate_topic("pda-7", zone, "S0"), b"{not json"),
        (f"plates/pda-7/{zone}", plate(t0)),  # wrong topic shape
        *as_messages([(zone, "S0", t0 + timedelta(minutes=40), False)]),
    ]
    with recording(settings, records_url, city_file, f"recorder-{unique}") as recorder:
        client = mqtt_client(settings)
        try:
            for topic, payload in messages:
                client.publish(topic, payload, qos=1).wait_for_publish(10)
        finally:
            client.disconnect()
            client.loop_stop()
        wait_for(
            lambda: recorder.recorded_messages >= len(messages) - 1,  # the wrong shape: unheard
            30,
            "the recorder to take every message",
        )
        counted = {
            outcome: recorder.metrics.registry.get_sample_value(
                "curbside_recorder_plate_events_total", {"outcome": outcome}
            )
            for outcome in ("new", "same", "no_stay", "bad_message")
        }
        with Session(recorder.engine) as db:
            rows = [
                (b.zone, b.space, b.plate, b.actor, b.source)
                for b in db.scalars(select(PlateBinding))
            ]
    assert rows == [(zone, "S0", "粤BD12345", "pda-7", "pda")]
    assert counted == {"new": 1, "same": 1, "no_stay": 1, "bad_message": 2}
