"""InfluxDB line protocol encoding (the format `/write` takes in every release)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

FieldValue = bool | int | float | str

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\\": "\\\\"})
_MEASUREMENT_ESCAPES = str.maketrans({",": r"\,", " ": r"\ ", "\\": "\\\\"})


def _field(value: FieldValue) -> str:
    # bool before int: bool is a subclass of int in Python.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def epoch_ms(ts: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime: the precision Curbside writes."""
    if ts.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    # Integer arithmetic on timedelta: float seconds would round some milliseconds wrongly.
    return (ts - _EPOCH) // _MILLISECOND


def from_epoch_ms(ms: int) -> datetime:
    """The aware UTC datetime of an epoch-millisecond time, as InfluxDB returns with epoch=ms."""
    return _EPOCH + int(ms) * _MILLISECOND


def encode_line(
    measurement: str, tags: Mapping[str, str], fields: Mapping[str, FieldValue], ts: datetime
) -> str:
    """One point as a line, tags sorted by key, timestamp in milliseconds."""
    parts = [measurement.translate(_MEASUREMENT_ESCAPES)]
    parts.extend(
        f"{key.translate(_TAG_ESCAPES)}={value.translate(_TAG_ESCAPES)}"
        for key, value in sorted(tags.items())
    )
    field_text = ",".join(
        f"{key.translate(_TAG_ESCAPES)}={_field(value)}" for key, value in fields.items()
    )
    if not field_text:
        raise ValueError("a point needs at least one field")
    return f"{','.join(parts)} {field_text} {epoch_ms(ts)}"
