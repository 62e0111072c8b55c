"""Quoting for InfluxQL, so values from requests never become query syntax."""

from __future__ import annotations


def literal(value: str) -> str:
    """A single-quoted InfluxQL string literal."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def identifier(name: str) -> str:
    """A double-quoted InfluxQL identifier (measurement, tag or field name)."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
