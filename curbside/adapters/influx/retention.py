"""Retention policies: raw readings age out, hourly rollups and alerts stay (docs/retention.md).

Three policies in the one database:

- ``curbside_raw`` (``CURBSIDE_INFLUX_RAW_RETENTION_DAYS``, default 90 days) is the database's
  **default** policy, so every raw reading (``parking_status``, ``bin_level``, ``bin_emptied``,
  ``sensor_battery``) lands in it without ingest naming it, and every reader that names no
  policy reads it;
- ``autogen`` (infinite, the policy InfluxDB 1.x creates with the database) keeps the alerts,
  which name it when they are written and read (curbside/adapters/influx/alerts.py);
- ``curbside_rollup`` (``CURBSIDE_INFLUX_ROLLUP_RETENTION_DAYS``, default 1,825 days; 0 keeps
  them forever) holds the hourly rollups Curbside's own code writes
  (curbside/adapters/influx/rollups.py).

Made at start-up by ingest (before its first write) and by the recorder, idempotently: a policy
that exists with another duration is altered to the configured one; nothing is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from curbside.adapters.influx.client import InfluxClient, QueryFailed
from curbside.config.settings import Settings

log = logging.getLogger(__name__)

RAW = "curbside_raw"
KEEP = "autogen"
ROLLUP = "curbside_rollup"


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    """The durations wanted, in days (0: forever)."""

    raw_days: int
    rollup_days: int

    def duration(self, policy: str) -> str:
        """The InfluxQL duration of ``policy``."""
        days = {RAW: self.raw_days, ROLLUP: self.rollup_days, KEEP: 0}[policy]
        return f"{days}d" if days else "INF"


def _as_duration(text: str) -> str:
    # SHOW RETENTION POLICIES says "2160h0m0s", or "0s" for infinite.
    if text in ("0s", "0", "INF"):
        return "INF"
    hours = int(text.split("h", 1)[0])
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def current_policies(client: InfluxClient) -> dict[str, tuple[str, bool]]:
    """Each policy of the database: its duration (``90d``, ``INF``) and whether it is the
    default."""
    found: dict[str, tuple[str, bool]] = {}
    for series in client.query(f'SHOW RETENTION POLICIES ON "{client.database}"'):
        for row in series.rows():
            found[row["name"]] = (_as_duration(str(row["duration"])), bool(row["default"]))
    return found


def ensure_retention(client: InfluxClient, plan: RetentionPlan) -> list[str]:
    """Create or alter the three policies (the raw one the default); returns the statements
    run, none when everything already was as planned."""
    have = current_policies(client)
    statements = []
    for policy in (KEEP, ROLLUP, RAW):
        duration = plan.duration(policy)
        default = " DEFAULT" if policy == RAW else ""
        on = f'"{policy}" ON "{client.database}"'
        if policy not in have:
            statements.append(f"CREATE RETENTION POLICY {on} DURATION {duration} REPLICATION 1")
        elif have[policy][0] != duration:
            statements.append(f"ALTER RETENTION POLICY {on} DURATION {duration}")
        if policy == RAW and not (policy in have and have[policy][1]):
            statements.append(f"ALTER RETENTION POLICY {on}{default}")
    for statement in statements:
        client.query(statement)
    return statements


def ensure_retention_logged(client: InfluxClient, settings: Settings) -> bool:
    """:func:`ensure_retention` with the settings' durations, logging what changed. A server
    that refuses (no admin rights; 2.x/3.x, whose v1 API cannot manage policies) is logged,
    not fatal: readings then stay in whatever policy is the default. Unavailable is raised."""
    plan = RetentionPlan(settings.influx.raw_retention_days, settings.influx.rollup_retention_days)
    try:
        done = ensure_retention(client, plan)
    except QueryFailed as exc:
        log.warning(
            "retention policies not set (%s): raw readings are kept as the server's default "
            "policy says; see docs/retention.md for InfluxDB 2.x/3.x",
            exc,
        )
        return False
    for statement in done:
        log.info("InfluxDB: %s", statement)
    return True
