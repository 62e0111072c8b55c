"""The ground truth of a run: what really happened, what was published, what the API must show.

Records go to a JSON-lines sink as the run goes (``run`` first, ``final`` last); the
recorder also keeps the end state itself, so a run without a truth file can still report it.
All times are RFC 3339 UTC with ``Z``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

from simulators.events import EmptyingReport, Event, FillReport, SpaceReport, VehicleMovement
from simulators.faults import FaultRecord, Outgoing
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
        """Record a true happening (movements, fill reports, emptyings)."""
        match event:
            case VehicleMovement():
                self._occupied.setdefault(event.zone, {})[event.space] = event.arrived
                kind = "arrival" if event.arrived else "departure"
                where = {"zone": event.zone, "space": event.space}
                self._write({"type": kind, **where, "ts": utc_rfc3339(event.t)})
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
                self._write(
                    {
                        "type": "emptied",
                        "district": event.district,
                        "bin": event.bin,
                        "ts": utc_rfc3339(event.t),
                        "truck": event.truck,
                    }
                )
            case SpaceReport():
                pass  # reports restate the truth; movements carry it

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
