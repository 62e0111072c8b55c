"""A background task the API cannot do without (the MQTT link, automatic re-planning) never
ends by itself: if it does, the API must not run on half-alive (docs/reliability.md), so the
process is stopped, loudly. With several API processes, the others then stop too
(api/processes.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable

log = logging.getLogger(__name__)


def stop_if_ended(what: str) -> Callable[[asyncio.Task[None]], None]:
    """A done-callback for the task doing ``what``: SIGTERM this process unless cancelled."""

    def check(task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        log.critical("%s stopped: %r; stopping the API", what, task.exception())
        os.kill(os.getpid(), signal.SIGTERM)

    return check
