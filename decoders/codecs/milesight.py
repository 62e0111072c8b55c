"""Milesight EM310-UDL and EM400-UDL ultrasonic level sensors (fPort 85).

Layout from Milesight's public decoders (github.com/Milesight-IoT/SensorDecoders,
EM_Series/EM300_Series/EM310-UDL and EM_Series/EM400_Series/EM400-UDL): a sequence of
channels, each ``channel id, channel type, value``. The two models put distance on different
channels: EM310-UDL on 0x03 0x82, EM400-UDL on 0x04 0x82 (0x03 0x67 is its temperature).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from decoders.codecs import frames
from decoders.codecs.measurement import JsonObject, Measurement
from telemetry.devices import SensorModel
from telemetry.rejection import Reason, Rejected

Values = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel: its value's length and what the value means."""

    size: int
    read: Callable[[bytes], Values]


def _battery(v: bytes) -> Values:
    return {"battery_pct": float(v[0])}


def _distance(v: bytes) -> Values:
    return {"distance_mm": float(frames.u16le(v, 0))}


def _position(v: bytes) -> Values:
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
    """An EM310-UDL or EM400-UDL, told apart by its channel table."""

    def __init__(self, model: SensorModel, channels: Mapping[tuple[int, int], Channel]) -> None:
        self.model = model
        self._channels = channels

    def from_bytes(self, f_port: int, frame: bytes) -> Measurement:
        """Walk the channels; an unknown channel ends the frame, as in the vendor's decoder."""
        values: Values = {}
        at = 0
        while at < len(frame):
            frames.need(frame, at + 2, f"{self.model} channel header")
            key = (frame[at], frame[at + 1])
            channel = self._channels.get(key)
            if channel is None:
                if at == 0:
                    raise Rejected(Reason.BAD_SCHEMA, f"{self.model}: unknown channel {_hex(key)}")
                break  # a newer firmware's channel: keep what came before it
            frames.need(frame, at + 2 + channel.size, f"{self.model} channel {_hex(key)}")
            values |= channel.read(frame[at + 2 : at + 2 + channel.size])
            at += 2 + channel.size
        if not frame:
            raise Rejected(Reason.BAD_SCHEMA, f"{self.model}: empty frame")
        if values.get("battery_pct", 0) > 100:
            raise Rejected(
                Reason.OUT_OF_RANGE, f"{self.model}: battery {values['battery_pct']:g} %"
            )
        return Measurement(**values)

    def from_object(self, f_port: int, decoded: JsonObject) -> Measurement:
        """The vendor codec's ``battery``, ``distance`` (mm), ``position``, temperature, alarms."""
        distance_alarm = frames.flag(decoded, "distance_alarming")
        temp_alarm = frames.flag(decoded, "temperature_abnormal")
        return Measurement(
            battery_pct=frames.number(decoded, "battery", 0, 100),
            distance_mm=frames.number(decoded, "distance", 0, 65_535),
            tilted=frames.word(decoded, "position", _POSITION),
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


def _hex(key: tuple[int, int]) -> str:
    return f"{key[0]:02x} {key[1]:02x}"


EM310 = MilesightLevel("milesight-em310-udl", EM310_UDL)
EM400 = MilesightLevel("milesight-em400-udl", EM400_UDL)
