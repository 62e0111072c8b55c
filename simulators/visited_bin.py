"""A bin emptied whenever a truck gets there: its fill and reports when trucks follow a plan.

With fixed rounds every visit is known in advance, so :meth:`BinModel.events` can run a bin
on its own. A truck following a published plan decides its visits as it drives, so here the
bin keeps its state and is told of each visit as it happens; the fill physics, the sensor and
the incidents are the same :class:`BinModel`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.bins import BinModel
from simulators.events import EmptyingReport, Event, SkippedVisit
from simulators.rounds import Visit
from simulators.timestamps import Instant


@dataclass(frozen=True, slots=True)
class VisitOutcome:
    """What a truck's visit did: the events, the bin's true fill when the truck got there,
    whether it was emptied, and when the sensor reports the emptied bin (None if not)."""

    events: list[Event]
    true_pct: float
    emptied: bool
    report_at: Instant | None


class VisitedBin:
    """One bin's state between events: true fill, tilt and the sensor's next regular report."""

    def __init__(self, model: BinModel) -> None:
        self.model = model
        self._pct = model.initial_pct
        self._known = model.run_start  # the initial fill is the fill at the run's start
        self._tilted = False
        self.next_report: Instant = model.first_report

    def fill_at(self, t: Instant) -> float:
        """The true fill at ``t`` (not before the last event)."""
        return self.model.filled(self._pct, self._known, t)

    def report(self, t: Instant) -> list[Event]:
        """The sensor's report at ``t`` (none while it is silent); moves the next regular
        report past ``t``."""
        self._pct, self._known = self.fill_at(t), t
        self._tilted = self._tilted or self.model.tips_over()
        report = self.model.report(t, self._pct, self._tilted)
        while self.next_report <= t:
            self.next_report += self.model.interval()
        return [] if self.model.incidents.silent(t) else [report]

    def visit(self, t: Instant, truck: str) -> VisitOutcome:
        """``truck`` is at the bin at ``t``: it empties it (unless the ``skip`` incident has it
        pass by), and the sensor will report the empty bin a few seconds later."""
        visit = Visit(t, truck)
        at_visit = round(self.fill_at(t), 2)
        if self.model.skipped(visit):
            return VisitOutcome([SkippedVisit(t, self.model.district, self.model.bin, truck)],
                                at_visit, False, None)  # fmt: skip
        self._pct, self._known, self._tilted = self.model.residual(visit), t, False
        emptied = EmptyingReport(t, self.model.district, self.model.bin, truck, at_visit)
        return VisitOutcome([emptied], at_visit, True, t + self.model.report_delay())
