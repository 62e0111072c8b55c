"""MQTT topic roots that more than one process must agree on."""

from __future__ import annotations

DISPATCH_ROOT = "dispatch"
"""The API publishes each truck's route, retained, on ``dispatch/{truck}/route``; the truck
reports its progress on ``dispatch/{truck}/progress``."""

DEADLETTER_ROOT = "deadletter"
"""Ingest republishes each rejected message under ``deadletter/{reason}/{original topic}``;
the broker's rights let only ingest write there."""

PLATES_ROOT = "plates"
"""A roadside attendant's handheld (PDA) or a video pole publishes the plates it sees on
``plates/{account}/{zone}/{space}``; the broker lets each account publish only under its own
name, so the topic says who saw the plate. The recorder binds them to stays."""

ARREARS_ROOT = "arrears"
"""The recorder publishes ``arrears/overdue/{zone}`` when a stay's charge becomes overdue (the
payment platform reminds the driver; docs/payments.md)."""


def overdue_topic(zone: str) -> str:
    """Where overdue stays of a zone are announced."""
    return f"{ARREARS_ROOT}/overdue/{zone}"


def plate_topic(account: str, zone: str, space: str) -> str:
    """Where an account reports a plate seen on a space."""
    return f"{PLATES_ROOT}/{account}/{zone}/{space}"


def route_topic(truck: str) -> str:
    """Where a truck's planned route is published (retained)."""
    return f"{DISPATCH_ROOT}/{truck}/route"


def progress_topic(truck: str) -> str:
    """Where a truck reports its position and the stops it has done."""
    return f"{DISPATCH_ROOT}/{truck}/progress"
