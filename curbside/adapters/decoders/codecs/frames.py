"""Small readers for binary frames and vendor-decoded objects, shared by the device codecs.

Each raises :class:`Rejected` naming what is wrong, so a codec is mostly a table of these.
"""

from __future__ import annotations

import math
from typing import Any

from curbside.adapters.decoders.codecs.measurement import JsonObject
from curbside.vocabulary.rejection import Reason, Rejected, Skipped


def need(frame: bytes, length: int, what: str) -> None:
    """Reject ``frame`` if it is shorter than ``length`` bytes."""
    if len(frame) < length:
        raise Rejected(
            Reason.BAD_SCHEMA, f"{what}: frame of {len(frame)} bytes, need at least {length}"
        )


def u16le(data: bytes, at: int) -> int:
    """Unsigned 16-bit little-endian integer at ``at``."""
    return int.from_bytes(data[at : at + 2], "little")


def i16le(data: bytes, at: int) -> int:
    """Signed 16-bit little-endian integer at ``at``."""
    return int.from_bytes(data[at : at + 2], "little", signed=True)


def i8(value: int) -> int:
    """A byte as a signed 8-bit integer."""
    return value - 0x100 if value & 0x80 else value


def number(obj: JsonObject, key: str, low: float, high: float) -> float | None:
    """``obj[key]`` as a finite number in [low, high]; None when absent or null."""
    value: Any = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Rejected(Reason.BAD_SCHEMA, f"decoded {key} must be a number, got {repr(value)[:60]}")
    if not low <= value <= high:
        raise Rejected(Reason.OUT_OF_RANGE, f"decoded {key}={value!r} is outside {low:g}..{high:g}")
    return float(value)


def integer(obj: JsonObject, key: str, low: int, high: int) -> int | None:
    """``obj[key]`` as a whole number in [low, high]; None when absent or null."""
    value = number(obj, key, low, high)
    if value is None:
        return None
    if not value.is_integer():
        raise Rejected(Reason.BAD_SCHEMA, f"decoded {key} must be a whole number, got {value!r}")
    return int(value)


def flag(obj: JsonObject, key: str) -> bool | None:
    """``obj[key]`` as a boolean; None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Rejected(Reason.BAD_SCHEMA, f"decoded {key} must be true or false")
    return value


def word(obj: JsonObject, key: str, meanings: dict[str, bool]) -> bool | None:
    """``obj[key]``, one of the words in ``meanings``, as its boolean; None when absent."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or value not in meanings:
        choices = ", ".join(sorted(meanings))
        raise Rejected(Reason.BAD_SCHEMA, f"decoded {key} must be one of {choices}")
    return meanings[value]


def known_word(
    obj: JsonObject, key: str, meanings: dict[str, bool]
) -> tuple[bool | None, Skipped | None]:
    """Like :func:`word`, but a word outside ``meanings`` (a vendor's "unknown") is a
    skipped part rather than a rejection: the rest of the object still counts."""
    value = obj.get(key)
    if isinstance(value, str) and value not in meanings:
        return None, Skipped(Reason.OUT_OF_RANGE, f"decoded {key}={value[:40]!r} is not known")
    return word(obj, key, meanings), None
