"""Telling the running broker to reload its password and ACL files (SIGHUP).

Mosquitto re-reads both on SIGHUP and re-checks every connected client against them: a
revoked account is disconnected at once and cannot connect again.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def running_broker_pid(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` if that process is alive and is a mosquitto; else None."""
    try:
        pid = int(pid_file.read_text().strip())
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except (OSError, ValueError):
        return None
    return pid if os.path.basename(argv0) == b"mosquitto" else None


def reload_broker(pid_file: Path) -> int | None:
    """SIGHUP the broker of ``pid_file``; its pid, or None if it is not running."""
    pid = running_broker_pid(pid_file)
    if pid is not None:
        os.kill(pid, signal.SIGHUP)
    return pid
