"""What the traffic models share: the seed, the simulated start, the city's clock and periods."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import tzinfo

from simulators.timestamps import Instant


@dataclass(frozen=True, slots=True)
class TrafficPlan:
    """The fixed inputs of every device model in one run."""

    seed: int
    start: Instant
    tz: tzinfo
    heartbeat_s: int = 600
    bin_report_s: int = 900
    # The run's last instant, if it has one: a flicker must be over by then.
    end: Instant | None = None
    # Probability of a flicker per status message that reports a free space.
    flicker: float = 0.0

    def rng(self, *names: str) -> random.Random:
        """An independent random stream for one purpose, e.g. ``rng("space", "Z01-001")``.

        Each device draws from its own streams, so whether other devices are simulated (or
        in which order) never changes what this one does. String seeds hash with SHA-512,
        which is stable across processes and Python versions.
        """
        return random.Random(":".join((str(self.seed), *names)))
