"""End to end: parking sessions and their fees, derived from what the sensors said through
the real stack, equal the stays the simulator really made and the engine's fee for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from curbside.domain.parking.fees import compute_fee
from ingest.service import Ingester
from simulators.truth import TrueStay, true_stays
from tests.e2e.town import api_server, read_truth, run_simulator, wait_until_stored

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
    settings: Settings, influx: InfluxClient, ingester: Ingester, city_file: Path, tmp_path: Path
) -> None:
    truth_file = tmp_path / "truth.jsonl"
    # 20 hours ending 5 minutes ago: a local day band, an evening and a night, whatever the
    # hour. The gap matters: a stay that ended less than the debounce before the query is
    # rightly still ongoing to the API, while the truth knows it ended.
    run_end = datetime.now(UTC) - timedelta(minutes=5)
    run_start = (run_end - timedelta(hours=20)).replace(microsecond=0)
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
    wait_until_stored(ingester, final["published"])
    city = load_city(city_file)
    expected = _expected(true_stays(records))
    window = {
        "start": run_start.isoformat(),
        "end": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
    }
    checked_fees = 0
    fees: dict[tuple[str, datetime | None], int] = {}
    with api_server(settings, city_file, tmp_path / "api.log") as api:
        for zone in city.parking_zones:
            response = api.get("/api/v1/parking/sessions", params={"zone": zone.id, **window})
            assert response.status_code == 200, response.text
            got: dict[str, list[Stay]] = {}
            for session in response.json():
                got.setdefault(session["space"], []).append(
                    Stay(session["space"], _at(session["start"]) or run_start, _at(session["end"]))
                )
                assert ("ongoing" in session["flags"]) == (session["end"] is None)
                assert "sensor_silent" not in session["flags"], session
                fees[(session["space"], _at(session["start"]))] = session["fee"]["fen"]
            for space in (s.id for s in zone.spaces):
                assert got.get(space, []) == expected.get(space, []), space
            # Each finished stay that began inside the run: billed what the engine charges
            # for the true stay.
            for stay in (s for stays in expected.values() for s in stays):
                if (
                    stay.end is None
                    or stay.start == run_start
                    or not stay.space.startswith(zone.id)
                ):
                    continue
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
