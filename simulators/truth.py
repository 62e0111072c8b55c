"""The ground truth of a run: what really happened, what was published, what the API must show.

Records go to a JSON-lines sink as the run goes (``run`` first, ``final`` last); the
recorder also keeps the end state itself, so a run without a truth file can still report it.
All times are RFC 3339 UTC with ``Z``. :func:`true_stays` reads the cars' stays back,
:func:`incidents` the sanitation incidents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from simulators.events import (
    EmptyingReport,
    Event,
    FillReport,
    RouteTaken,
    SensorFlicker,
    SkippedVisit,
    SpaceReport,
    TruckProgress,
    Unloaded,
    VehicleMovement,
)
from simulators.faults import FaultRecord, JsonDetail, Outgoing
from simulators.payloads import status_topic
from simulators.timestamps import Instant, utc_rfc3339


class TruthRecorder:
    """Writes truth records and tracks the true and the published end state."""

    def __init__(self, sink: TextIO | None = None) -> None:
        self._sink = sink
        self.published = 0
        self.malformed = 0
        self.dropped = 0
        self._occupied: dict[str, dict[str, bool]] = {}
        self._bins: dict[str, dict[str, float | None]] = {}
        self._latest_fill: dict[tuple[str, str], Instant] = {}

    def _write(self, record: Mapping[str, Any]) -> None:
        if self._sink is not None:
            self._sink.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            self._sink.write("\n")

    def flush(self) -> None:
        """Push what was written so far to the file."""
        if self._sink is not None:
            self._sink.flush()

    def run(self, header: Mapping[str, Any]) -> None:
        """The ``run`` record: seed, start, speed, city, options."""
        self._write({"type": "run", **header})

    def initial(
        self, start: Instant, spaces: Mapping[str, Mapping[str, bool]], bins: Mapping[str, Any]
    ) -> None:
        """The true state at the start: occupancy of each space, fill of each bin."""
        for zone, states in spaces.items():
            self._occupied[zone] = dict(states)
        for district, fills in bins.items():
            self._bins[district] = dict.fromkeys(fills)
        self._write({"type": "initial", "ts": utc_rfc3339(start), "spaces": spaces, "bins": bins})

    def event(self, event: Event) -> None:
        """Record a true happening (movements, flickers, fill reports, emptyings)."""
        match event:
            case VehicleMovement():
                self._occupied.setdefault(event.zone, {})[event.space] = event.arrived
                kind = "arrival" if event.arrived else "departure"
                where = {"zone": event.zone, "space": event.space}
                self._write({"type": kind, **where, "ts": utc_rfc3339(event.t)})
            case SensorFlicker():
                # A fault of the sensor, not of the space: occupancy stays as it is.
                detail: JsonDetail = {"ts": utc_rfc3339(event.t), "until": utc_rfc3339(event.until)}
                self.fault(FaultRecord("flicker", status_topic(event.zone, event.space), detail))
            case FillReport():
                self._write(
                    {
                        "type": "fill",
                        "district": event.district,
                        "bin": event.bin,
                        "ts": utc_rfc3339(event.t),
                        "true_pct": event.true_pct,
                        "reported_pct": event.reported_pct,
                    }
                )
            case EmptyingReport():
                # true_pct: how full the bin really was when the truck emptied it.
                self._write(
                    {
                        "type": "emptied",
                        "district": event.district,
                        "bin": event.bin,
                        "ts": utc_rfc3339(event.t),
                        "truck": event.truck,
                        "true_pct": event.true_pct,
                    }
                )
            case RouteTaken():
                self._write(
                    {
                        "type": "route",
                        "truck": event.truck,
                        "ts": utc_rfc3339(event.t),
                        "planned_at": event.planned_at,
                        "stops": list(event.stops),
                    }
                )
            case Unloaded():
                where = {"truck": event.truck, "station": event.station}
                self._write(
                    {"type": "unload", **where, "ts": utc_rfc3339(event.t), "load_l": event.load_l}
                )
            case SkippedVisit():
                self.incident("skip", event.district, event.bin, ts=event.t, truck=event.truck)
            case SpaceReport() | TruckProgress():
                pass  # reports restate the truth; movements and stops carry it

    def incident(self, kind: str, district: str, bin_id: str, **times: Instant | str) -> None:
        """An ``incident`` record; ints in ``times`` are instants, written as RFC 3339."""
        fields = {k: utc_rfc3339(v) if isinstance(v, int) else v for k, v in times.items()}
        self._write(
            {"type": "incident", "kind": kind, "district": district, "bin": bin_id, **fields}
        )

    def fault(self, record: FaultRecord) -> None:
        """Record an applied fault."""
        if record.kind == "drop":
            self.dropped += 1
        self._write(
            {"type": "fault", "kind": record.kind, "topic": record.topic, "detail": record.detail}
        )

    def sent(self, outgoing: Outgoing) -> None:
        """Count a message that was published, and remember the latest published fill."""
        self.published += 1
        if outgoing.role == "malformed":
            self.malformed += 1
            return
        report = outgoing.message.report
        if isinstance(report, FillReport):
            key = (report.district, report.bin)
            # Latest by ts, not by publishing order: a reordered report may come late.
            if report.t >= self._latest_fill.get(key, report.t):
                self._latest_fill[key] = report.t
                self._bins.setdefault(report.district, {})[report.bin] = report.reported_pct

    @property
    def spaces(self) -> dict[str, dict[str, bool]]:
        """Each space's true occupancy now, by zone."""
        return {zone: dict(states) for zone, states in self._occupied.items()}

    @property
    def bins(self) -> dict[str, dict[str, float | None]]:
        """Each bin's reported fill in its latest published report (None if none), by district."""
        return {district: dict(fills) for district, fills in self._bins.items()}

    def final(self, end: Instant) -> None:
        """The ``final`` record: end, counts, true occupancy, published fill."""
        self._write(
            {
                "type": "final",
                "end": utc_rfc3339(end),
                "published": self.published,
                "malformed": self.malformed,
                "spaces": self.spaces,
                "bins": self.bins,
            }
        )
        self.flush()


@dataclass(frozen=True, slots=True)
class TrueStay:
    """One car's stay at a space, as the truth records tell it."""

    zone: str
    space: str
    start: datetime
    """The arrival, or the run's start for a car already parked then (``before_start``)."""
    end: datetime | None
    """The departure; None if the car had not left when the records end."""
    before_start: bool = False


def _instant(ts: str) -> datetime:
    return datetime.fromisoformat(ts)  # Python 3.11 reads the trailing Z as UTC


def true_stays(records: Iterable[Mapping[str, Any]]) -> list[TrueStay]:
    """The stays in parsed truth records (``initial``, ``arrival``, ``departure``), by start.

    Flickers (``fault`` records) are no stays. Raises ValueError if the records contradict
    themselves, e.g. a departure from a free space or no ``initial`` record before movements.
    """
    parked: dict[tuple[str, str], tuple[datetime, bool]] = {}
    stays: list[TrueStay] = []
    started = False
    for record in records:
        kind = record["type"]
        if kind == "initial":
            started = True
            start = _instant(record["ts"])
            for zone, spaces in record["spaces"].items():
                parked.update({(zone, s): (start, True) for s, there in spaces.items() if there})
            continue
        if kind not in ("arrival", "departure"):
            continue
        key = (record["zone"], record["space"])
        if not started:
            raise ValueError(f"{kind} at {'/'.join(key)} before the initial record")
        when = _instant(record["ts"])
        if kind == "arrival":
            if key in parked:
                raise ValueError(f"arrival at {'/'.join(key)} at {record['ts']}: occupied")
            parked[key] = (when, False)
            continue
        if key not in parked:
            raise ValueError(f"departure from {'/'.join(key)} at {record['ts']}: free")
        since, before = parked.pop(key)
        stays.append(TrueStay(*key, since, when, before))
    stays.extend(TrueStay(*key, since, None, before) for key, (since, before) in parked.items())
    return sorted(stays, key=lambda stay: (stay.start, stay.zone, stay.space))


def incidents(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``incident`` records among parsed truth records, in the file's order (copies)."""
    return [dict(record) for record in records if record.get("type") == "incident"]
