"""The overstay rule on hand-made sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from curbside.domain.alerts.overstay import overstay_conditions
from curbside.domain.parking.sessions import Session
from curbside.vocabulary.alerts import AlertKind, Domain, Subject

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LIMITS = {"Z01": timedelta(hours=2)}


def _session(zone: str, space: str, parked: timedelta, *flags: str, ended: bool = False) -> Session:
    start = NOW - parked
    return Session(
        zone=zone,
        space=space,
        start=start,
        end=NOW - timedelta(minutes=1) if ended else None,
        last_confirmed=NOW - timedelta(minutes=5),
        flags=frozenset(flags if ended else ("ongoing", *flags)),
    )


def test_only_ongoing_stays_beyond_the_zone_limit_raise_an_overstay() -> None:
    sessions = [
        _session("Z01", "S1", timedelta(hours=2, minutes=1)),  # over
        _session("Z01", "S2", timedelta(hours=2)),  # exactly the limit: allowed
        _session("Z01", "S3", timedelta(hours=5), ended=True),  # left already
        _session("Z01", "S4", timedelta(hours=5), "sensor_silent"),  # unknown, not overstay
        _session("Z02", "S5", timedelta(hours=9)),  # zone without a limit
    ]
    conditions = overstay_conditions(sessions, LIMITS, NOW)
    assert [(c.kind, c.subject) for c in conditions] == [
        (AlertKind.OVERSTAY, Subject(Domain.PARKING, "Z01", "S1"))
    ]
    assert "2 h 01 min" in conditions[0].detail
    assert "2 h 00 min" in conditions[0].detail
