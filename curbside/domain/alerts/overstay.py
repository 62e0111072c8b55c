"""The overstay rule: a car parked longer than its zone's maximum stay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from curbside.domain.parking.sessions import Session
from curbside.vocabulary.alerts import AlertKind, Condition, Domain, Subject
from curbside.vocabulary.messages import Message, seconds, utc_time


def overstay_conditions(
    sessions: Iterable[Session], max_stay: Mapping[str, timedelta], now: datetime
) -> list[Condition]:
    """An overstay condition for each ongoing session longer than its zone's maximum stay.

    A session whose sensor went silent is not ongoing as far as anyone knows, so it raises
    nothing: the silence is a sensor alert of its own.
    """
    conditions = []
    for session in sessions:
        limit = max_stay.get(session.zone)
        if limit is None or session.end is not None or "sensor_silent" in session.flags:
            continue
        parked = now - session.start
        if parked > limit:
            conditions.append(
                Condition(
                    AlertKind.OVERSTAY,
                    Subject(Domain.PARKING, session.zone, session.space),
                    f"parked {_duration(parked)} since {session.start.isoformat()}, "
                    f"zone maximum {_duration(limit)}",
                    Message(
                        "space.overstay",
                        {
                            "since": utc_time(session.start),
                            "parked_s": seconds(parked),
                            "limit_s": seconds(limit),
                        },
                    ),
                )
            )
    return conditions


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
