"""Strict reading of JSON fields: right type, finite, in range, or a Rejected that says which.

Devices are allowed unknown fields (ignored), never wrong types: a boolean is not a number,
a number is not a boolean, and NaN or Infinity never pass.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import orjson

from curbside.vocabulary.rejection import Reason, Rejected

JsonObject = dict[str, Any]


# orjson turns an integer beyond 64 bits into a float; a run of 19 digits may be one.
_LONG_DIGITS = re.compile(rb"[0-9]{19}").search


def _refuse_constant(name: str) -> float:
    raise Rejected(Reason.BAD_JSON, f"{name} is not valid JSON")


def parse_object(payload: bytes) -> JsonObject:
    """The payload as a JSON object; rejects bad UTF-8, bad JSON, NaN/Infinity and non-objects.

    orjson reads what it can (a tenth of the standard library's cost, ingest's hot path);
    what it refuses, or reads as a float because the integer is too long for 64 bits, is
    read again by the standard library, which stays the judge of why it is refused.
    """
    if _LONG_DIGITS(payload) is not None:
        value = _parse_strictly(payload)
    else:
        try:
            value = orjson.loads(payload)
        except orjson.JSONDecodeError:
            value = _parse_strictly(payload)
    if not isinstance(value, dict):
        raise Rejected(Reason.BAD_SCHEMA, "payload must be a JSON object")
    return value


def _parse_strictly(payload: bytes) -> object:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(Reason.BAD_UTF8, f"payload is not UTF-8 at byte {exc.start}") from exc
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:  # ValueError: also over-long integers
        raise Rejected(Reason.BAD_JSON, f"payload is not JSON: {exc}"[:200]) from exc


def required_bool(obj: JsonObject, key: str) -> bool:
    """``obj[key]`` as a boolean; missing or another type is rejected."""
    if key not in obj:
        raise Rejected(Reason.BAD_SCHEMA, f"{key} is required")
    value = optional_bool(obj, key)
    assert value is not None  # None was rejected by optional_bool as a wrong type
    return value


def optional_bool(obj: JsonObject, key: str) -> bool | None:
    """``obj[key]`` as a boolean, or None when absent."""
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, bool):
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be true or false, got {_show(value)}")
    return value


def optional_number(obj: JsonObject, key: str, low: float, high: float) -> float | None:
    """``obj[key]`` as a finite number within [low, high], or None when absent."""
    if key not in obj:
        return None
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be a number, got {_show(value)}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise Rejected(Reason.OUT_OF_RANGE, f"{key}={value!r} is outside {low:g}..{high:g}")
    return number


_NOT_TEXT = frozenset({"Cc", "Cs"})


def optional_text(obj: JsonObject, key: str, max_length: int = 64) -> str | None:
    """``obj[key]`` as a short string, or None when absent."""
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be a string of 1..{max_length} characters")
    # A line break would end the stored line early and let the rest pose as points of its own;
    # a lone UTF-16 surrogate (JSON may escape one) cannot be written as UTF-8 at all.
    if any(unicodedata.category(c) in _NOT_TEXT for c in value):
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must not hold control characters or surrogates")
    return value


def optional_timestamp(obj: JsonObject, key: str = "ts") -> datetime | None:
    """``obj[key]`` as an aware UTC datetime from RFC 3339 text or epoch seconds, or None."""
    if key not in obj:
        return None
    value = obj[key]
    if isinstance(value, str):
        return _from_rfc3339(key, value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be RFC 3339 text or epoch seconds")
    if not math.isfinite(value) or not 0 <= value < 32_503_680_000:  # before year 3000
        raise Rejected(Reason.OUT_OF_RANGE, f"{key}={value!r} is not a plausible epoch time")
    return datetime.fromtimestamp(value, tz=UTC)


def _from_rfc3339(key: str, text: str) -> datetime:
    if len(text) > 40 or "T" not in text.upper():
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be RFC 3339, got {_show(text)}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be RFC 3339, got {_show(text)}") from exc
    if parsed.tzinfo is None:
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must carry a UTC offset, got {_show(text)}")
    return parsed.astimezone(UTC)


def _show(value: object) -> str:
    return repr(value)[:60]
