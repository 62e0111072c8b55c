"""The recorder through the real broker: an alert change published as the evaluator publishes
it opens a case; a reading from the silent sensor then verifies and closes it by the data;
anything else on alerts/ is counted and skipped. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import CaseEventRecord, CaseRecord
from curbside.config.settings import Settings
from curbside.domain.alerts.document import alert_document, alert_topic
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from tests.records.recorder_process import recording, write_city
from tests.records.stream_truth import as_messages
from tests.support import mqtt_client, wait_for

pytestmark = pytest.mark.records


def _case(engine: Engine, case_id: str) -> CaseRecord | None:
    with Session(engine) as db:
        return db.get(CaseRecord, case_id)


def test_an_alert_opens_a_case_and_a_fresh_reading_closes_it(
    settings: Settings, records_url: str, tmp_path: Path, unique: str
) -> None:
    zone = f"CZ{unique}"
    city_file = write_city(tmp_path / "city.yaml", zone, 2)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    silent = Alert(
        AlertKind.SENSOR_SILENT, Subject(Domain.PARKING, zone, "S0"), t0, AlertStatus.OPEN,
        "no report for 2 h", updated_at=t0,
    )  # fmt: skip
    with recording(settings, records_url, city_file, f"recorder-{unique}") as recorder:
        client = mqtt_client(settings)
        try:
            for topic, payload in [
                (alert_topic(silent), json.dumps(alert_document(silent)).encode()),
                (f"alerts/full/sanitation/{zone}/x", b"not an alert"),
            ]:
                client.publish(topic, payload, qos=1).wait_for_publish(10)
            wait_for(lambda: _case(recorder.engine, silent.id) is not None, 30, "the case")
            case = _case(recorder.engine, silent.id)
            assert case is not None and (case.stage, case.kind) == ("registered", "sensor_silent")
            rejected = recorder.metrics.registry.get_sample_value(
                "curbside_recorder_alert_messages_rejected_total"
            )
            assert rejected == 1
            # The sensor reports again five minutes after the case opened.
            for topic, payload in as_messages([(zone, "S0", t0 + timedelta(minutes=5), True)]):
                client.publish(topic, payload, qos=1).wait_for_publish(10)
            wait_for(
                lambda: getattr(_case(recorder.engine, silent.id), "stage", None) == "closed",
                30,
                "the case to be closed by the data",
            )
        finally:
            client.disconnect()
            client.loop_stop()
        closed = _case(recorder.engine, silent.id)
        assert closed is not None
        assert (closed.verified_by, closed.closed_at) == ("data:reading", t0 + timedelta(minutes=5))
        with Session(recorder.engine) as db:
            kinds = db.scalars(
                select(CaseEventRecord.kind)
                .where(CaseEventRecord.case_id == silent.id)
                .order_by(CaseEventRecord.seq)
            ).all()
        assert kinds == ["opened", "verified", "closed"]
