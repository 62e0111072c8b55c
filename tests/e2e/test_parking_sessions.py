"""End to end: the API's parking sessions and their fees, recorded by the recorder from what
the sensors said through the real broker, equal the stays the simulator really made and the
engine's fee for them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from curbside.domain.parking.fees import compute_fee
from simulators.truth import TrueStay, true_stays
from tests.e2e.town import api_server, read_truth, run_simulator
from tests.records.recorder_process import recording
from tests.support import wait_for

pytestmark = pytest.mark.e2e

DEBOUNCE = timedelta(seconds=60)  # the default of CURBSIDE_PARKING_DEBOUNCE_S


@dataclass(frozen=True)
class Stay:
    space: str
    start: datetime
    end: datetime | None


def _expected(stays: list[TrueStay]) -> dict[str, list[Stay]]:
    """The true stays as a 60 s debounce must see them: stays less than 60 s apart are one
    (the sensor cannot tell a quick swap of cars from a flicker), and a stay shorter than
    60 s is no stay (a car passing over the sensor)."""
    by_space: dict[str, list[Stay]] = {}
    for stay in sorted(stays, key=lambda s: (s.space, s.start)):
        runs = by_space.setdefault(stay.space, [])
        last = runs[-1] if runs else None
        if last is not None and last.end is not None and stay.start - last.end < DEBOUNCE:
            runs[-1] = Stay(stay.space, last.start, stay.end)
        else:
            runs.append(Stay(stay.space, stay.start, stay.end))
    return {
        space: [s for s in runs if s.end is None or s.end - s.start >= DEBOUNCE]
        for space, runs in by_space.items()
    }


def _at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_sessions_and_fees_equal_the_true_stays(
    settings: Settings, influx: InfluxClient, city_file: Path, tmp_path: Path
) -> None:
    truth_file = tmp_path / "truth.jsonl"
    records_url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    # 20 hours ending 5 minutes ago: a local day band, an evening and a night, whatever the
    # hour.
    run_end = datetime.now(UTC) - timedelta(minutes=5)
    run_start = (run_end - timedelta(hours=20)).replace(microsecond=0)
    with recording(settings, records_url, city_file, f"recorder-e2e-{os.getpid()}") as recorder:
        run_simulator(
            settings,
            city_file,
            "--devices", "parking",
            "--start", run_start.isoformat(),
            "--duration", "20h",
            "--speed", "max",
            "--seed", "23",
            "--seq",
            "--faults", "duplicate=0.05,reorder=0.05,flicker=0.05",
            "--truth", str(truth_file),
        )  # fmt: skip
        final, records = read_truth(truth_file)
        kinds = {r["kind"] for r in records if r["type"] == "fault"}
        assert {"duplicate", "reorder", "flicker"} <= kinds, kinds
        wait_for(
            lambda: recorder.recorded_messages >= final["published"],
            180,
            f"the recorder to record all {final['published']} messages",
            interval_s=0.5,
        )
        stream_time = recorder.stream_time
    assert stream_time is not None
    # The recorder judges at the stream's time: a stay that ended less than the debounce
    # before the last report is rightly still ongoing in the records.
    settled = stream_time - DEBOUNCE
    city = load_city(city_file)
    expected = _expected(true_stays(records))
    window = {
        "start": run_start.isoformat(),
        "end": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
    }
    checked_fees = 0
    log = tmp_path / "api.log"
    with api_server(settings, city_file, log, CURBSIDE_RECORDS_URL=records_url) as api:
        for zone in city.parking_zones:
            response = api.get("/api/v1/parking/sessions", params={"zone": zone.id, **window})
            assert response.status_code == 200, response.text
            closed: dict[str, list[Stay]] = {}
            fees: dict[tuple[str, datetime | None], int] = {}
            for session in response.json():
                assert ("ongoing" in session["flags"]) == (session["end"] is None)
                assert "sensor_silent" not in session["flags"], session
                if session["end"] is not None:
                    stay = Stay(
                        session["space"], _at(session["start"]) or run_start, _at(session["end"])
                    )
                    closed.setdefault(stay.space, []).append(stay)
                    fees[(stay.space, stay.start)] = session["fee"]["fen"]
            for space in (s.id for s in zone.spaces):
                want = [
                    s for s in expected.get(space, []) if s.end is not None and s.end <= settled
                ]
                assert closed.get(space, []) == want, space
                # Each finished stay that began inside the run: billed what the engine
                # charges for the true stay.
                for stay in want:
                    if stay.start == run_start:
                        continue  # the simulator's first report: the stay began before it
                    assert stay.end is not None
                    fee = compute_fee(
                        city.tariff_for_zone(zone.id),
                        stay.start,
                        stay.end,
                        city.workday_calendar,
                        city.tz,
                    )
                    assert fees[(stay.space, stay.start)] == fee.total_fen, stay
                    checked_fees += 1
    assert checked_fees > 50, "too few finished sessions to prove the fees"
