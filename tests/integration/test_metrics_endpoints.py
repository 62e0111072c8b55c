"""Each long-running process's Prometheus endpoint, scraped before and after a little load:
the API's request, refusal and live-feed metrics, the evaluator's round and alert metrics and
the recorder's message, batch and record metrics move by what the test did to them. (Ingest's
are checked in tests/faults and the benchmarks.)"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings
from tests.e2e.town import api_server, ingesting, process_env, small_city
from tests.records.recorder_process import RecorderProcess, write_city
from tests.records.stream_truth import as_messages
from tests.support import forget_session, mqtt_client, wait_for
from tools.harness.ports import free_port
from tools.harness.processes import CurbsideProcess, Samples, scrape

pytestmark = pytest.mark.integration

OCCUPANCY = "/api/v1/parking/occupancy"
BURST = 5  # the key's rate-limit burst: the 6th quick request is refused


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(small_city(), allow_unicode=True))
    return path


def _fire(settings: Settings, district: str, bin_id: str, count: int = 1) -> None:
    """Sensor reports from one bin, hot enough to raise ``fire``."""
    client = mqtt_client(settings)
    try:
        for i in range(count):
            payload = {"fill_pct": 40.0, "temp_c": 90.0, "ts": int(time.time()) - count + i}
            topic = f"sanitation/{district}/{bin_id}/fill"
            client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_api_metrics_move_with_requests_refusals_and_the_live_feed(
    settings: Settings, influx: InfluxClient, city_file: Path, tmp_path: Path
) -> None:
    with api_server(
        settings,
        city_file,
        tmp_path / "api.log",
        CURBSIDE_API_RATE_PER_S="0.001",
        CURBSIDE_API_RATE_BURST=str(BURST),
    ) as api:
        url = f"{str(api.base_url).rstrip('/')}/metrics"
        before = scrape(url)
        statuses = [api.get(OCCUPANCY).status_code for _ in range(BURST + 3)]
        assert statuses == [200] * BURST + [429] * 3
        assert api.get("/no/such/route").status_code in (401, 404)
        _fire(settings, "D1", "D1-B001", count=7)
        received = _value(before, "curbside_api_live_received_total") + 7
        wait_for(
            lambda: _value(scrape(url), "curbside_api_live_received_total") >= received,
            10,
            "the live feed to count 7 messages",
        )
        after = scrape(url)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    route = {"method": "GET", "route": OCCUPANCY}
    assert moved("curbside_api_requests_total", **route, status="200") == BURST
    assert moved("curbside_api_requests_total", **route, status="429") == 3
    assert moved("curbside_api_request_seconds_count", **route) == BURST + 3
    assert moved("curbside_api_refused_total", status="429") == 3
    # An unknown path is one label, whatever the path was.
    assert moved("curbside_api_requests_total", method="GET", route="unmatched", status="404") == 1
    assert moved("curbside_api_live_received_total") == 7
    assert _value(after, "curbside_api_live_broker_connected") == 1
    assert ("curbside_api_live_lag_seconds", ()) in after
    assert ("curbside_api_live_reconnects_total", ()) in after


@pytest.fixture
def evaluator(
    settings: Settings, influx: InfluxClient, city_file: Path, tmp_path: Path
) -> Iterator[str]:
    """``python -m curbside.evaluator`` every half second; its metrics URL."""
    port = free_port()
    env = process_env(
        settings,
        city_file,
        CURBSIDE_ALERTS_INTERVAL_S="0.5",
        CURBSIDE_ALERTS_METRICS_PORT=str(port),
    )
    process = CurbsideProcess(
        "alerts", ["curbside.evaluator"], env, tmp_path / "alerts.log", port
    ).start()
    url = f"http://127.0.0.1:{port}/metrics"

    def answering() -> bool:
        process.check_running()
        try:
            return bool(scrape(url))
        except OSError:
            return False

    try:
        wait_for(answering, 30, "the evaluator's metrics")
        yield url
    finally:
        process.stop(10)


def test_evaluator_metrics_count_rounds_and_alerts_by_kind_and_status(
    settings: Settings, city_file: Path, evaluator: str
) -> None:
    def rounds() -> float:
        return _value(scrape(evaluator), "curbside_alerts_round_seconds_count")

    first = rounds()
    wait_for(lambda: rounds() >= first + 2, 30, "two evaluation rounds")
    before = scrape(evaluator)
    assert _value(before, "curbside_alerts_active", kind="fire", status="open") == 0
    with ingesting(settings, city_file):
        _fire(settings, "D1", "D1-B001")
        _fire(settings, "D2", "D2-B002")
        wait_for(
            lambda: (
                _value(scrape(evaluator), "curbside_alerts_active", kind="fire", status="open") == 2
            ),
            60,
            "the evaluator to count two open fire alerts",
        )
    after = scrape(evaluator)
    opened = ("curbside_alerts_changes_total", (("kind", "fire"), ("status", "open")))
    assert after[opened] - before[opened] == 2
    assert _value(after, "curbside_alerts_active", kind="full", status="open") == 0
    assert _value(after, "curbside_alerts_rounds_failed_total") == 0


@pytest.fixture
def recorder(base_settings: Settings, tmp_path: Path, unique: str) -> Iterator[RecorderProcess]:
    """``python -m curbside.recorder`` on an SQLite record store, taking the whole test's
    stream (six messages) as one batch; not yet started."""
    settings = base_settings.replace(
        records_url=f"sqlite:///{tmp_path / 'records.sqlite3'}",
        city_file=write_city(tmp_path / "recorder-city.yaml", f"RZ{unique}", 3),
        recorder_client_id=f"recorder-{unique}",
        recorder_batch_size=6,
        recorder_flush_interval_s=30.0,
        recorder_tick_s=1.0,
        recorder_metrics_port=free_port(),
    )
    process = RecorderProcess(settings, tmp_path / "recorder.log")
    yield process
    if process.process is not None:
        process.stop()
    forget_session(settings, settings.recorder.client_id)


def test_recorder_metrics_count_messages_batches_and_records_by_kind(
    recorder: RecorderProcess, unique: str
) -> None:
    url = f"http://127.0.0.1:{recorder.settings.recorder.metrics_port}/metrics"
    recorder.start()
    before = scrape(url)
    assert math.isnan(_value(before, "curbside_recorder_lag_seconds"))  # nothing recorded yet
    zone = f"RZ{unique}"
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    newest = t0 + timedelta(minutes=35)
    messages = [
        *as_messages(
            [
                (zone, "S0", t0, False),
                (zone, "S1", t0, True),
                # S0's stay lasts 31 min (past the grace: one charge); its vacancy has lasted
                # past the debounce by the stream's time, S1's newest report (S1 stays on).
                (zone, "S0", t0 + timedelta(minutes=1), True),
                (zone, "S0", t0 + timedelta(minutes=32), False),
                (zone, "S1", newest, True),
            ]
        ),
        (f"parking/{zone}/S2/status", b"not json"),
    ]
    client = mqtt_client(recorder.settings)
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
    recorded = _value(before, "curbside_recorder_messages_recorded_total") + len(messages)
    wait_for(
        lambda: _value(scrape(url), "curbside_recorder_messages_recorded_total") >= recorded,
        30,
        "the recorder to commit six messages",
    )
    scraped_from = datetime.now(UTC)
    after = scrape(url)
    scraped_until = datetime.now(UTC)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("curbside_recorder_messages_received_total") == 6
    assert moved("curbside_recorder_messages_recorded_total") == 6
    assert moved("curbside_recorder_messages_rejected_total") == 1
    assert moved("curbside_recorder_batches_committed_total") == 1
    assert moved("curbside_recorder_commit_retries_total") == 0
    # S0's closed stay and S1's open one; S0's charge; no district, so no verdicts.
    assert moved("curbside_recorder_records_written_total", kind="sessions") == 2
    assert moved("curbside_recorder_records_written_total", kind="charges") == 1
    assert moved("curbside_recorder_records_written_total", kind="adjustments") == 0
    assert moved("curbside_recorder_records_written_total", kind="verdicts") == 0
    # Wall clock minus the newest report recorded, at the scrape: about 25 minutes.
    lag = timedelta(seconds=_value(after, "curbside_recorder_lag_seconds"))
    assert scraped_from - newest <= lag <= scraped_until - newest
