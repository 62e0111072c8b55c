"""Sanitation incidents (``--incidents``): skipped visits, overfilling, fires, silent sensors.

Which bins and when is planned once, at the start, from the seed and the simulated bins:
one seeded shuffle of them gives the overfilling bins first, then the burning ones, then the
silent ones, so no bin has two of these. Skips are drawn per visit by the bin model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulators.options import IncidentSpec, OptionError
from simulators.plan import TrafficPlan
from simulators.timestamps import Instant

OVERFILL_FACTOR = 4.0  # an overfilling bin fills this much faster than it would
OVERFILL_MIN_PCT_PER_HOUR = 24.0  # and at least this fast at the busiest hour
FIRE_S = (30 * 60, 60 * 60)
FIRE_TEMP_C = (70.0, 95.0)
DEFAULT_SPAN_S = 86_400  # incidents of a run without a duration happen within its first day


@dataclass(frozen=True, slots=True)
class BinIncidents:
    """What happens to one bin: ``fire`` is [start, end), ``silent_since`` its last second."""

    skip: float = 0.0
    overfill: bool = False
    fire: tuple[Instant, Instant] | None = None
    silent_since: Instant | None = None

    def burning(self, t: Instant) -> bool:
        """Whether the bin is on fire at ``t``."""
        return self.fire is not None and self.fire[0] <= t < self.fire[1]

    def silent(self, t: Instant) -> bool:
        """Whether the bin's sensor has gone silent by ``t`` (it sends nothing after since)."""
        return self.silent_since is not None and t > self.silent_since


NO_INCIDENTS = BinIncidents()


def plan_incidents(
    spec: IncidentSpec, plan: TrafficPlan, bins: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], BinIncidents]:
    """Each simulated bin's incidents, by (district, bin); raises OptionError if N is too big."""
    wanted = spec.overfill + spec.fire + spec.silent
    if wanted > len(bins):
        raise OptionError(
            f"incidents: overfill + fire + silent = {wanted}, but only {len(bins)} bins are "
            "simulated"
        )
    rng = plan.rng("incidents")
    chosen = list(bins)
    rng.shuffle(chosen)
    span = DEFAULT_SPAN_S if plan.end is None else plan.end - plan.start
    out = {key: BinIncidents(skip=spec.skip) for key in bins}
    for key in chosen[: spec.overfill]:
        out[key] = BinIncidents(skip=spec.skip, overfill=True)
    for key in chosen[spec.overfill : spec.overfill + spec.fire]:
        length = rng.randint(*FIRE_S)
        begin = plan.start + rng.randint(0, max(0, span - length))
        out[key] = BinIncidents(skip=spec.skip, fire=(begin, begin + length))
    for key in chosen[spec.overfill + spec.fire : wanted]:
        since = plan.start + rng.randint(span // 4, span // 2)
        out[key] = BinIncidents(skip=spec.skip, silent_since=since)
    return out
