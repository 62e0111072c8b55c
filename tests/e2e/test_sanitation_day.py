"""End to end: a simulated day and a half of bins, with trucks skipping visits, bins
overfilling, a fire and a silent sensor, through the real stack; the clearance report and the
alerts must equal what the simulator's truth says."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import City, load_city
from curbside.config.settings import Settings
from curbside.vocabulary.alerts import AlertKind
from ingest.service import Ingester
from tests.e2e.town import (
    api_server,
    evaluate_bin_alerts,
    read_truth,
    run_simulator,
    wait_until_stored,
)

pytestmark = pytest.mark.e2e

RUBBISH_ABOVE = 10.0  # CURBSIDE_CLEARANCE_RUBBISH_ABOVE_PCT's default


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _expected_clearance(
    records: list[dict[str, Any]], city: City, day: date
) -> dict[str, dict[str, set[str]]]:
    """The verdicts of docs/clearance.md, worked out from the fill levels the sensors reported
    (the rules are defined on reports: a bin whose true fill is 9.97 % but reported 10.2 %
    counts as having rubbish) and the true emptyings (which the API never sees: it detects
    them from the reports)."""
    tz: ZoneInfo = city.tz
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    fills: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    emptied: dict[str, list[datetime]] = defaultdict(list)
    for r in records:
        if r["type"] == "fill":
            fills[r["bin"]].append((_at(r["ts"]), r["reported_pct"]))
        elif r["type"] == "emptied":
            emptied[r["bin"]].append(_at(r["ts"]))
    out: dict[str, dict[str, set[str]]] = {}
    for district in city.sanitation_districts:
        deadline = datetime.combine(day, district.clearance_deadline, tzinfo=tz)
        verdict: dict[str, set[str]] = {"needed": set(), "cleared": set(), "late": set()}
        for b in district.bins:
            series = sorted(fills[b.id])
            before = [p for t, p in series if t < start]
            above = bool(before) and before[-1] > RUBBISH_ABOVE
            last_rise = start if above else None
            for t, pct in series:
                if start <= t <= deadline:
                    if pct > RUBBISH_ABOVE and not above:
                        last_rise = t
                    above = pct > RUBBISH_ABOVE
            if last_rise is None:
                continue
            verdict["needed"].add(b.id)
            clearing = sorted(t for t in emptied[b.id] if last_rise <= t < end)
            if clearing:
                verdict["cleared"].add(b.id)
                if clearing[0] > deadline:
                    verdict["late"].add(b.id)
        out[district.id] = verdict
    return out


def test_clearance_and_alerts_equal_the_truth(
    settings: Settings, influx: InfluxClient, ingester: Ingester, city_file: Path, tmp_path: Path
) -> None:
    truth_file = tmp_path / "truth.jsonl"
    now = datetime.now(UTC).replace(microsecond=0)
    run_simulator(
        settings,
        city_file,
        "--devices", "bins",
        "--start", (now - timedelta(hours=30)).isoformat(),
        "--duration", "30h",
        "--speed", "max",
        "--seed", "31",
        "--incidents", "skip=0.3,overfill=2,fire=1,silent=1",
        "--truth", str(truth_file),
    )  # fmt: skip
    final, records = read_truth(truth_file)
    wait_until_stored(ingester, final["published"])
    city = load_city(city_file)
    incidents = [r for r in records if r["type"] == "incident"]
    assert {i["kind"] for i in incidents} >= {"skip", "overfill", "fire", "silent"}, incidents

    # The clearance report of yesterday (a whole local day inside the run).
    yesterday = (now.astimezone(city.tz) - timedelta(days=1)).date()
    expected = _expected_clearance(records, city, yesterday)
    with api_server(settings, city_file, tmp_path / "api.log") as api:
        report = api.get(
            "/api/v1/sanitation/clearance", params={"date": yesterday.isoformat()}
        ).json()
    assert report["complete"] is True
    for got in report["districts"]:
        want = expected[got["district"]]
        assert got["needed"] == len(want["needed"]), got
        assert set(got["not_cleared"]) == want["needed"] - want["cleared"], got
        assert set(got["late"]) == want["late"], got
    assert sum(len(w["needed"] - w["cleared"]) for w in expected.values()) > 0, (
        "the skipped visits left no bin uncleared: the scenario proves nothing"
    )

    # The alerts now: one evaluation of the bin rules at the end of the run.
    store = evaluate_bin_alerts(settings, influx, city)
    active: dict[AlertKind, set[str]] = defaultdict(set)
    for alert in store.active():
        active[alert.kind].add(alert.subject.device)
    silent = {i["bin"] for i in incidents if i["kind"] == "silent"}
    assert active[AlertKind.SENSOR_SILENT] == silent
    burning = {
        i["bin"]
        for i in incidents
        if i["kind"] == "fire" and _at(i["end"]) > now - timedelta(minutes=1)
    }
    assert active[AlertKind.FIRE] == burning - silent
    full_now = {
        b
        for bins in final["bins"].values()
        for b, pct in bins.items()
        if pct is not None and pct >= 80
    }
    assert active[AlertKind.FULL] == full_now - silent
