"""The latest-state queries against the real InfluxDB: values, since, last_seen, late writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from curbside.adapters.influx.client import InfluxClient, QueryFailed
from curbside.adapters.influx.latest import Latest, LatestReader, SinceAnswer, SinceQuestion
from curbside.adapters.influx.schema import to_line
from curbside.config.settings import Settings
from curbside.domain.parking.occupancy import SpaceState
from curbside.domain.sanitation.bins import BinState
from curbside.vocabulary.readings import BinEmptied, BinLevel, Reading, SpaceStatus

pytestmark = pytest.mark.integration

WEEK = timedelta(days=7)


def _now() -> datetime:
    # Whole milliseconds: what the database stores and gives back.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _ago(now: datetime, minutes: float) -> datetime:
    return now - timedelta(minutes=minutes)


def _write(influx: InfluxClient, *readings: Reading) -> None:
    influx.write([to_line(r) for r in readings])


def _spaces(latest: Latest) -> dict[str, SpaceState]:
    return {s.space: s for s in latest.spaces}


def _bins(latest: Latest) -> dict[str, BinState]:
    return {b.bin: b for b in latest.bins}


def test_current_status_since_and_last_seen(influx: InfluxClient) -> None:
    now = _now()
    _write(
        influx,
        # vacant, then occupied for three reports: occupied since the first of them.
        SpaceStatus("Z1", "A-1", False, _ago(now, 50), battery_v=3.7),
        SpaceStatus("Z1", "A-1", True, _ago(now, 40), battery_v=3.6),
        SpaceStatus("Z1", "A-1", True, _ago(now, 30)),
        SpaceStatus("Z1", "A-1", True, _ago(now, 20), rssi_dbm=-90.0),
        # only ever vacant in the window: vacant since its first report.
        SpaceStatus("Z1", "A-2", False, _ago(now, 35), battery_v=3.1),
        SpaceStatus("Z1", "A-2", False, _ago(now, 5), battery_v=3.0),
        # B-1: flapping; the latest report is the only one of its status.
        SpaceStatus("Z2", "B-1", True, _ago(now, 12)),
        SpaceStatus("Z2", "B-1", False, _ago(now, 11)),
        SpaceStatus("Z2", "B-1", True, _ago(now, 10)),
        SpaceStatus("Z2", "B-1", False, _ago(now, 9)),
    )
    spaces = _spaces(LatestReader(influx, WEEK).read())
    assert spaces == {
        # The battery is the last one reported, even by an older report.
        "A-1": SpaceState("Z1", "A-1", True, _ago(now, 40), _ago(now, 20), 3.6),
        "A-2": SpaceState("Z1", "A-2", False, _ago(now, 35), _ago(now, 5), 3.0),
        "B-1": SpaceState("Z2", "B-1", False, _ago(now, 9), _ago(now, 9), None),
    }


def test_late_older_reports_do_not_change_the_current_state(influx: InfluxClient) -> None:
    now = _now()
    _write(
        influx,
        SpaceStatus("Z1", "A-1", True, _ago(now, 30)),
        SpaceStatus("Z1", "A-1", False, _ago(now, 10), battery_v=3.5),
        BinLevel("D1", "D1-B1", fill_pct=40.0, ts=_ago(now, 20)),
        BinLevel("D1", "D1-B1", fill_pct=55.5, ts=_ago(now, 10), battery_v=3.4),
    )
    reader = LatestReader(influx, WEEK)
    expected_space = SpaceState("Z1", "A-1", False, _ago(now, 10), _ago(now, 10), 3.5)
    assert _spaces(reader.read())["A-1"] == expected_space

    # Arriving now, stamped earlier than the latest report: history, not the present.
    _write(
        influx,
        SpaceStatus("Z1", "A-1", True, _ago(now, 60), battery_v=2.9),
        SpaceStatus("Z1", "A-1", True, _ago(now, 15), battery_v=2.8),
        BinLevel("D1", "D1-B1", fill_pct=95.0, ts=_ago(now, 15), battery_v=2.7, tilted=True),
    )
    latest = reader.read()
    assert _spaces(latest)["A-1"] == expected_space
    assert _bins(latest)["D1-B1"] == BinState(
        "D1", "D1-B1", 55.5, _ago(now, 10), 3.4, None, tilted=True
    )


def test_a_new_status_starts_a_new_since(influx: InfluxClient) -> None:
    now = _now()
    _write(
        influx,
        SpaceStatus("Z1", "A-1", False, _ago(now, 30)),
        SpaceStatus("Z1", "A-1", False, _ago(now, 20)),
    )
    reader = LatestReader(influx, WEEK)
    assert _spaces(reader.read())["A-1"].since == _ago(now, 30)
    _write(influx, SpaceStatus("Z1", "A-1", True, _ago(now, 8)))
    _write(influx, SpaceStatus("Z1", "A-1", True, _ago(now, 4)))
    state = _spaces(reader.read())["A-1"]
    assert (state.occupied, state.since, state.last_seen) == (True, _ago(now, 8), _ago(now, 4))
    # And back: a late vacant report inside the occupied run moves `since` after it.
    _write(influx, SpaceStatus("Z1", "A-1", False, _ago(now, 6)))
    state = _spaces(reader.read())["A-1"]
    assert (state.occupied, state.since, state.last_seen) == (True, _ago(now, 4), _ago(now, 4))


def test_since_is_asked_only_for_spaces_that_changed(influx: InfluxClient) -> None:
    now = _now()
    _write(
        influx,
        *[SpaceStatus("Z1", f"A-{n}", n % 2 == 0, _ago(now, 30)) for n in range(1, 8)],
    )
    reader = LatestReader(influx, WEEK)
    reader.read()
    assert reader.since_statements_last_read == 7
    # The same status again from every space: nothing to ask.
    _write(
        influx,
        *[SpaceStatus("Z1", f"A-{n}", n % 2 == 0, _ago(now, 20)) for n in range(1, 8)],
    )
    latest = reader.read()
    assert reader.since_statements_last_read == 0
    assert {s.since for s in latest.spaces} == {_ago(now, 30)}
    assert {s.last_seen for s in latest.spaces} == {_ago(now, 20)}
    # Two spaces change status: two statements, and their new since.
    _write(
        influx,
        SpaceStatus("Z1", "A-1", True, _ago(now, 10)),
        SpaceStatus("Z1", "A-2", False, _ago(now, 10)),
    )
    latest = reader.read()
    assert reader.since_statements_last_read == 2
    since = {s.space: s.since for s in latest.spaces}
    assert since == {f"A-{n}": _ago(now, 10 if n in (1, 2) else 30) for n in range(1, 8)}


def test_reports_older_than_the_lookback_are_not_current(influx: InfluxClient) -> None:
    now = _now()
    _write(
        influx,
        SpaceStatus("Z1", "A-1", True, _ago(now, 120)),
        SpaceStatus("Z1", "A-2", True, _ago(now, 90)),
        SpaceStatus("Z1", "A-2", False, _ago(now, 30)),
        BinLevel("D1", "D1-B1", fill_pct=10.0, ts=_ago(now, 120)),
    )
    latest = LatestReader(influx, timedelta(hours=1)).read()
    assert _spaces(latest) == {
        "A-2": SpaceState("Z1", "A-2", False, _ago(now, 30), _ago(now, 30), None)
    }
    assert latest.bins == []


def test_bins_with_partial_reports(influx: InfluxClient) -> None:
    now = _now()
    _write(
        influx,
        BinLevel("D1", "D1-B1", 20.0, 80.0, _ago(now, 40), 3.6, 12.5, False),
        BinLevel("D1", "D1-B1", 35.0, 65.0, _ago(now, 25), None, 14.0, None),
        # Only a battery report, newer than the last fill: still the device's last sign of life.
        BinLevel("D1", "D1-B1", ts=_ago(now, 5), battery_v=3.55),
        BinLevel("D2", "D2-B7", ts=_ago(now, 3), temp_c=-2.0),
        # Emptied events are a different measurement: they do not make a bin "seen".
        BinEmptied("D2", "D2-B9", _ago(now, 2), truck="T01"),
    )
    assert _bins(LatestReader(influx, WEEK).read()) == {
        "D1-B1": BinState("D1", "D1-B1", 35.0, _ago(now, 5), 3.55, 14.0, False),
        "D2-B7": BinState("D2", "D2-B7", None, _ago(now, 3), None, -2.0, None),
    }


def test_tag_values_are_quoted_in_statements(influx: InfluxClient) -> None:
    # Registry ids cannot hold quotes, but the reader quotes whatever the database holds.
    now = _now()
    _write(
        influx,
        SpaceStatus("Z'1", "it's", True, _ago(now, 20)),
        SpaceStatus("Z'1", "it's", False, _ago(now, 10)),
    )
    assert LatestReader(influx, WEEK).read().spaces == [
        SpaceState("Z'1", "it's", False, _ago(now, 10), _ago(now, 10), None)
    ]


def test_an_empty_database_has_no_state(influx: InfluxClient) -> None:
    assert LatestReader(influx, WEEK).read() == Latest(spaces=[], bins=[])


def test_a_missing_database_is_named_in_the_error(settings: Settings) -> None:
    client = InfluxClient.from_settings(settings.replace(influx_db="no_such_db"))
    try:
        with pytest.raises(QueryFailed, match="database not found: no_such_db"):
            LatestReader(client, WEEK).read()
    finally:
        client.close()


def test_settle_since_reads_back_the_run_a_late_opposite_report_cut(
    influx: InfluxClient,
) -> None:
    now = _now()
    _write(
        influx,
        SpaceStatus("Z1", "A-1", True, _ago(now, 30)),
        SpaceStatus("Z1", "A-1", True, _ago(now, 15)),
        SpaceStatus("Z1", "A-1", True, _ago(now, 5)),
        # Arrived late: the occupied run now begins at the report 15 minutes ago.
        SpaceStatus("Z1", "A-1", False, _ago(now, 20)),
        SpaceStatus("Z1", "A-2", False, _ago(now, 8)),
    )
    answers = LatestReader(influx, WEEK).settle_since(
        [
            SinceQuestion("Z1", "A-1", True),
            SinceQuestion("Z1", "A-2", False),
            # No report in this status: no answer.
            SinceQuestion("Z1", "A-2", True),
            SinceQuestion("Z1", "A-3", True),
        ]
    )
    assert answers == {
        ("Z1", "A-1"): SinceAnswer(_ago(now, 20), _ago(now, 15)),
        ("Z1", "A-2"): SinceAnswer(None, _ago(now, 8)),
    }
    # The same as a full read finds.
    assert _spaces(LatestReader(influx, WEEK).read())["A-1"].since == _ago(now, 15)
