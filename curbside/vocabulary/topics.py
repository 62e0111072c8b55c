"""MQTT topic roots that more than one process must agree on."""

from __future__ import annotations

DEADLETTER_ROOT = "deadletter"
"""Ingest republishes each rejected message under ``deadletter/{reason}/{original topic}``;
the broker's rights let only ingest write there."""
