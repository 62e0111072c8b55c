"""InfluxDB line protocol encoding (the format `/write` takes in every release)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

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
    return _string(value)


def epoch_ms(ts: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime: the precision Curbside writes."""
    if ts.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    # Integer arithmetic on timedelta: float seconds would round some milliseconds wrongly.
    return (ts - _EPOCH) // _MILLISECOND


def from_epoch_ms(ms: int) -> datetime:
    """The aware UTC datetime of an epoch-millisecond time, as InfluxDB returns with epoch=ms."""
    return _EPOCH + int(ms) * _MILLISECOND


def series_key(measurement: str, tags: Mapping[str, str]) -> str:
    """The measurement and its tags, escaped, tags sorted by key: a line's first part."""
    parts = [measurement.translate(_MEASUREMENT_ESCAPES)]
    parts.extend(
        f"{key.translate(_TAG_ESCAPES)}={value.translate(_TAG_ESCAPES)}"
        for key, value in sorted(tags.items())
    )
    return ",".join(parts)


def _string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# By exact type, the common case (a subclass of int or str takes _field's isinstance chain).
_FORMATS: dict[type, Callable[[Any], str]] = {
    float: float.__repr__,
    bool: lambda value: "true" if value else "false",
    int: lambda value: f"{value}i",
    str: _string,
}


def _key(key: str) -> str:
    escaped = _KEYS.get(key)
    if escaped is None:
        escaped = key.translate(_TAG_ESCAPES)
        if len(_KEYS) < 1_000:  # field names come from code: a few dozen
            _KEYS[key] = escaped
    return escaped


_KEYS: dict[str, str] = {}


def field_set(fields: Iterable[tuple[str, FieldValue | None]]) -> str:
    """The fields that are not None, escaped, in the order given: a line's second part."""
    formats = _FORMATS
    text = ",".join(
        [
            f"{_key(key)}={formats.get(type(value), _field)(value)}"
            for key, value in fields
            if value is not None
        ]
    )
    if not text:
        raise ValueError("a point needs at least one field")
    return text


def encode_line(
    measurement: str, tags: Mapping[str, str], fields: Mapping[str, FieldValue], ts: datetime
) -> str:
    """One point as a line, tags sorted by key, timestamp in milliseconds."""
    return f"{series_key(measurement, tags)} {field_set(fields.items())} {epoch_ms(ts)}"
