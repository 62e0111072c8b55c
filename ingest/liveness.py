"""A thread that dies takes ingest down: never half-alive.

paho's network thread and the batch writer do all the work; if either ends, the process
would go on answering /metrics while consuming nothing. Every uncaught exception in any
thread (``threading.excepthook``) and every check that finds a worker thread gone marks the
ingester failed: health and metrics say so at once, and ``python -m ingest`` exits non-zero
so that its supervisor restarts it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from ingest.metrics import IngestMetrics

log = logging.getLogger(__name__)


class Liveness:
    """Whether every thread of the ingester still runs, and why not."""

    def __init__(self, metrics: IngestMetrics) -> None:
        self._metrics = metrics
        self.failed = threading.Event()
        self.reason: str | None = None
        metrics.healthy.set(1)

    def install(self) -> None:
        """Watch every thread of the process for an exception that ends it."""
        previous = threading.excepthook

        def _hook(args: threading.ExceptHookArgs) -> None:
            previous(args)  # the traceback, as Python prints it
            name = args.thread.name if args.thread is not None else "?"
            self.fail(f"thread {name} died: {args.exc_type.__name__}: {args.exc_value}")

        threading.excepthook = _hook

    def check(self, threads: Mapping[str, threading.Thread]) -> None:
        """Fail if one of these worker threads has ended."""
        for name, thread in threads.items():
            if not thread.is_alive():
                self.fail(f"thread {name} has ended")

    def fail(self, reason: str) -> None:
        """Mark the ingester failed (once): health and metrics say so from now on."""
        if self.failed.is_set():
            return
        self.reason = reason
        self._metrics.healthy.set(0)
        self._metrics.connected.set(0)  # nothing consumes any more, whatever the socket says
        log.critical("%s; ingest is stopping so that it can be restarted", reason)
        self.failed.set()
