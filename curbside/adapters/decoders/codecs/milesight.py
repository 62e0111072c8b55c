"""Milesight EM310-UDL and EM400-UDL ultrasonic level sensors (fPort 85).

Layout from Milesight's public decoders (github.com/Milesight-IoT/SensorDecoders,
EM_Series/EM300_Series/EM310-UDL and EM_Series/EM400_Series/EM400-UDL): a sequence of
channels, each ``channel id, channel type, value``. The two models put distance on different
channels: EM310-UDL on 0x03 0x82, EM400-UDL on 0x04 0x82 (0x03 0x67 is its temperature).

Revision followed: the decoders Milesight published in 2025 (``EM310-UDL_Decoder.js`` and
``EM400-UDL_Decoder.js``, "Copyright 2025"), which also read replies to configuration
commands (``fe``/``ff`` channels). Those are skipped and counted; so is a channel neither
table knows (the rest of the frame cannot be read past it) and a position value other than
0 or 1 (the vendor's "unknown"). Milesight sends everything on fPort 85.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from curbside.adapters.decoders.codecs import frames
from curbside.adapters.decoders.codecs.measurement import JsonObject, Measurement
from curbside.vocabulary.devices import SensorModel
from curbside.vocabulary.rejection import Reason, Rejected, Skipped

Values = dict[str, Any]
PORT = 85


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel: its value's length and what the value means (or why it is skipped)."""

    size: int
    read: Callable[[bytes], Values | Skipped]


def _battery(v: bytes) -> Values:
    return {"battery_pct": float(v[0])}


def _distance(v: bytes) -> Values:
    return {"distance_mm": float(frames.u16le(v, 0))}


def _position(v: bytes) -> Values | Skipped:
    if v[0] not in (0, 1):  # the vendor's decoder says "unknown"
        return Skipped(Reason.OUT_OF_RANGE, f"position value {v[0]} is not known")
    return {"tilted": v[0] == 1}


def _temperature(v: bytes) -> Values:
    return {"temp_c": frames.i16le(v, 0) / 10}


def _temperature_alarm(v: bytes) -> Values:
    return _temperature(v) | {"temp_alarm": v[2] != 0}


def _distance_alarm(v: bytes) -> Values:
    return _distance(v) | {"distance_alarm": v[2] != 0}


def _attribute(v: bytes) -> Values:
    return {}  # versions, serial number, class, power-on: nothing Curbside stores


# Device attributes, sent after power-on; their lengths from the vendor's tables.
_ATTRIBUTES: dict[tuple[int, int], Channel] = {
    (0xFF, t): Channel(size, _attribute)
    for t, size in {0x01: 1, 0x09: 2, 0x0A: 2, 0xFF: 2, 0x16: 8, 0x0F: 1, 0xFE: 1, 0x0B: 1}.items()
}
# Replies to configuration commands, on channel 0xfe or 0xff: type -> value length, from the
# vendors' ``handle_downlink_response`` tables. Nothing to store; skipped and counted.
REPLY_CHANNELS = frozenset({0xFE, 0xFF})
EM310_UDL_REPLIES: Mapping[int, int] = {0x10: 1, 0x02: 2, 0x03: 2, 0x06: 9}
EM400_UDL_REPLIES: Mapping[int, int] = {
    0x02: 2,
    0x03: 2,
    0x06: 9,
    0x10: 1,
    0x13: 1,
    0x1C: 2,
    0x28: 1,
    0x3E: 1,
    0x4A: 1,
    0x56: 1,
    0x70: 2,
    0x71: 1,
}
EM310_UDL: Mapping[tuple[int, int], Channel] = _ATTRIBUTES | {
    (0x01, 0x75): Channel(1, _battery),
    (0x03, 0x82): Channel(2, _distance),
    (0x04, 0x00): Channel(1, _position),
}
EM400_UDL: Mapping[tuple[int, int], Channel] = _ATTRIBUTES | {
    (0x01, 0x75): Channel(1, _battery),
    (0x03, 0x67): Channel(2, _temperature),
    (0x04, 0x82): Channel(2, _distance),
    (0x05, 0x00): Channel(1, _position),
    (0x83, 0x67): Channel(3, _temperature_alarm),
    (0x84, 0x82): Channel(3, _distance_alarm),
}

_POSITION = {"normal": False, "tilt": True}
# Older vendor codecs say true/false, newer ones these words (EM400-UDL_Decoder.js).
_ALARM = {"threshold_alarm": True, "threshold_alarm_release": False}


class MilesightLevel:
    """An EM310-UDL or EM400-UDL, told apart by its channel tables."""

    def __init__(
        self,
        model: SensorModel,
        channels: Mapping[tuple[int, int], Channel],
        replies: Mapping[int, int],
        *,
        has_temperature: bool,
    ) -> None:
        self.model = model
        self._channels = channels
        self._replies = replies
        self._has_temperature = has_temperature

    def from_bytes(self, f_port: int, frame: bytes) -> Measurement:
        """Walk the channels; past an unknown channel nothing can be read, as in the vendor's
        decoder, so it and the rest are skipped (a frame that starts with one is rejected)."""
        self._check_port(f_port)
        if not frame:
            raise Rejected(Reason.BAD_SCHEMA, f"{self.model}: empty frame")
        values: Values = {}
        skipped: list[Skipped] = []
        at = 0
        while at < len(frame):
            frames.need(frame, at + 2, f"{self.model} channel header")
            key = (frame[at], frame[at + 1])
            part = self._part(key)
            if part is None:
                if at == 0:
                    raise Rejected(Reason.BAD_SCHEMA, f"{self.model}: unknown channel {_hex(key)}")
                left = len(frame) - at
                detail = f"{self.model}: unknown channel {_hex(key)}, {left} bytes not read"
                skipped.append(Skipped(Reason.BAD_SCHEMA, detail))
                break
            frames.need(frame, at + 2 + part.size, f"{self.model} channel {_hex(key)}")
            result = part.read(frame[at + 2 : at + 2 + part.size])
            if isinstance(result, Skipped):
                skipped.append(Skipped(result.reason, f"{self.model}: {result.detail}"))
            else:
                values |= result
            at += 2 + part.size
        if values.get("battery_pct", 0) > 100:
            raise Rejected(
                Reason.OUT_OF_RANGE, f"{self.model}: battery {values['battery_pct']:g} %"
            )
        return Measurement(**values, skipped=tuple(skipped))

    def _part(self, key: tuple[int, int]) -> Channel | None:
        channel = self._channels.get(key)
        if channel is not None:
            return channel
        size = self._replies.get(key[1]) if key[0] in REPLY_CHANNELS else None
        if size is None:
            return None
        reply = Skipped(Reason.CONFIG_REPLY, f"configuration reply {_hex(key)}")
        return Channel(size, lambda _value: reply)

    def from_object(self, f_port: int, decoded: JsonObject) -> Measurement:
        """The vendor codec's ``battery``, ``distance`` (mm) and ``position`` (``tilt`` in
        the older TTN codec); on the EM400-UDL also temperature and alarms."""
        self._check_port(f_port)
        position = "position" if "position" in decoded else "tilt"
        tilted, unknown = frames.known_word(decoded, position, _POSITION)
        skipped = () if unknown is None else (unknown,)
        common = Measurement(
            battery_pct=frames.number(decoded, "battery", 0, 100),
            distance_mm=frames.number(decoded, "distance", 0, 65_535),
            tilted=tilted,
            skipped=skipped,
        )
        if not self._has_temperature:
            return common  # the EM310-UDL has no thermometer: a temperature is not its own
        distance_alarm = frames.flag(decoded, "distance_alarming")
        temp_alarm = frames.flag(decoded, "temperature_abnormal")
        return replace(
            common,
            temp_c=frames.number(decoded, "temperature", -60, 200),
            distance_alarm=(
                distance_alarm
                if distance_alarm is not None
                else frames.word(decoded, "distance_alarm", _ALARM)
            ),
            temp_alarm=(
                temp_alarm
                if temp_alarm is not None
                else frames.word(decoded, "temperature_alarm", _ALARM)
            ),
        )

    def _check_port(self, f_port: int) -> None:
        if f_port != PORT:
            raise Rejected(
                Reason.BAD_SCHEMA, f"{self.model}: frames come on fPort {PORT}, not {f_port}"
            )


def _hex(key: tuple[int, int]) -> str:
    return f"{key[0]:02x} {key[1]:02x}"


EM310 = MilesightLevel("milesight-em310-udl", EM310_UDL, EM310_UDL_REPLIES, has_temperature=False)
EM400 = MilesightLevel("milesight-em400-udl", EM400_UDL, EM400_UDL_REPLIES, has_temperature=True)
