"""Making the running broker use the accounts as saved.

Mosquitto re-reads its password and ACL files on SIGHUP and re-checks every connected client
against them: a revoked account is disconnected at once and cannot connect again. A RabbitMQ
cluster is brought in line through its management API (:mod:`.rabbitmq_admin`), which ends a
revoked account's connections the same way.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path

from curbside.adapters.provisioning.changes import Issued
from curbside.adapters.provisioning.rabbitmq_admin import (
    ClusterUnreachable,
    Management,
    apply_accounts,
)
from curbside.adapters.provisioning.store import BrokerFiles, load_accounts
from curbside.config.settings import Settings


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


def apply_to_broker(settings: Settings, files: BrokerFiles, issued: Sequence[Issued]) -> str | None:
    """Make the running broker of ``files`` use its saved accounts, with the passwords just
    ``issued``. What was done, or None when no broker runs (Mosquitto reads the files when it
    starts; a RabbitMQ cluster must be running to be told)."""
    if files.broker == "mosquitto":
        pid = reload_broker(files.pid_file)
        return None if pid is None else f"broker reloaded (pid {pid})"
    management = Management(
        settings.rabbitmq.management_urls,
        settings.rabbitmq.admin_user,
        settings.rabbitmq.admin_password.get_secret_value(),
    )
    try:
        applied = apply_accounts(
            management, load_accounts(files), {i.username: i.password for i in issued}
        )
    except ClusterUnreachable:
        return None
    done = f"RabbitMQ updated ({len(applied.created)} set, {len(applied.removed)} removed)"
    if applied.missing:
        done += (
            f"; {len(applied.missing)} account(s) the cluster lacks, password unknown here, "
            f"rotate them (--rotate): {', '.join(applied.missing[:10])}"
        )
    return done
