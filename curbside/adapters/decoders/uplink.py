"""What ChirpStack and The Things Stack uplinks have in common, once their JSON is read.

A network-server decoder fills in an :class:`Uplink`; this module finds the sensor in the
registry, lets the sensor model's codec read the frame (the network server's decoded object
when there is one, else the raw bytes) and turns the result into readings for its space or bin.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from curbside.adapters.decoders import fields
from curbside.adapters.decoders.codecs import CODECS
from curbside.adapters.decoders.codecs.measurement import JsonObject, Measurement
from curbside.adapters.decoders.registry import Decoded
from curbside.vocabulary.devices import DeviceDirectory, SensorBinding, normal_dev_eui
from curbside.vocabulary.readings import BinLevel, Reading, SpaceStatus
from curbside.vocabulary.rejection import Reason, Rejected

MAX_F_CNT = 2**32 - 1


@dataclass(frozen=True, slots=True)
class Uplink:
    """One application uplink as a network server reported it, its sensor already found."""

    f_port: int
    f_cnt: int
    frame: bytes
    decoded: JsonObject | None
    ts: datetime | None
    rssi_dbm: float | None
    snr_db: float | None


def sensor(devices: DeviceDirectory, dev_eui: object) -> SensorBinding:
    """The registry's binding for ``dev_eui``; Rejected(unknown_device) if there is none."""
    if not isinstance(dev_eui, str) or (normal := normal_dev_eui(dev_eui)) is None:
        raise Rejected(Reason.BAD_SCHEMA, f"DevEUI must be 16 hex digits, got {repr(dev_eui)[:40]}")
    binding = devices.get(normal)
    if binding is None:
        raise Rejected(Reason.UNKNOWN_DEVICE, f"no sensor with DevEUI {normal} in the registry")
    return binding


def counter(obj: fields.JsonObject, key: str, high: int) -> int:
    """A proto3 unsigned integer: absent means 0 (proto3 JSON omits default values)."""
    value = obj.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be an integer, got {repr(value)[:40]}")
    if not 0 <= value <= high:
        raise Rejected(Reason.OUT_OF_RANGE, f"{key}={value} is outside 0..{high}")
    return value


def frame_bytes(obj: fields.JsonObject, key: str) -> bytes:
    """The base64 frame at ``key``; absent (proto3's empty bytes) is an empty frame."""
    value = obj.get(key)
    if value is None:
        return b""
    if not isinstance(value, str):
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Rejected(Reason.BAD_SCHEMA, f"{key} is not valid base64") from exc


def decoded_object(obj: fields.JsonObject, key: str) -> JsonObject | None:
    """The network server's decoded object at ``key``, or None when absent or empty."""
    value = obj.get(key)
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be a JSON object")
    return value


def sub_object(obj: fields.JsonObject, key: str) -> fields.JsonObject:
    """``obj[key]``, which must be a JSON object."""
    value = obj.get(key)
    if not isinstance(value, dict):
        raise Rejected(Reason.BAD_SCHEMA, f"{key} must be a JSON object")
    return value


def best_gateway(rx: object, rssi_key: str = "rssi") -> tuple[float | None, float | None]:
    """(RSSI, SNR) of the gateway that heard the frame best: highest RSSI, then highest SNR."""
    if rx is None:
        return None, None
    if not isinstance(rx, list):
        raise Rejected(Reason.BAD_SCHEMA, "gateway metadata must be a list")
    heard: list[tuple[float, float | None]] = []
    for gateway in rx:
        if not isinstance(gateway, dict):
            raise Rejected(Reason.BAD_SCHEMA, "gateway metadata entries must be objects")
        rssi = fields.optional_number(gateway, rssi_key, -200.0, 50.0)
        snr = fields.optional_number(gateway, "snr", -50.0, 50.0)
        if rssi is not None:
            heard.append((rssi, snr))
    if not heard:
        return None, None
    return max(heard, key=lambda g: (g[0], g[1] if g[1] is not None else -99.0))


def readings(uplink: Uplink, binding: SensorBinding) -> Decoded:
    """The readings one uplink gives its space or bin (none for frames without any), and
    the parts of its frame the codec skipped."""
    codec = CODECS[binding.model]
    measurement = Measurement()
    if uplink.decoded is not None:
        measurement = codec.from_object(uplink.f_port, uplink.decoded)
    # A decoded object with none of the vendor codec's fields comes from some other codec:
    # the raw frame is the authority then, rather than a silently empty reading.
    if measurement.empty and uplink.frame:
        measurement = codec.from_bytes(uplink.f_port, uplink.frame)
    # Still empty: a frame without payload (MAC commands only) or a diagnostic frame.
    if binding.domain == "parking":
        return Decoded(_space_status(uplink, binding, measurement), measurement.skipped)
    return Decoded(_bin_level(uplink, binding, measurement), measurement.skipped)


def _space_status(uplink: Uplink, binding: SensorBinding, m: Measurement) -> list[Reading]:
    if m.occupied is None:
        return []  # nothing about the space (diagnostic frames, empty uplinks)
    return [
        SpaceStatus(
            zone=binding.group,
            space=binding.device,
            occupied=m.occupied,
            ts=uplink.ts,
            battery_v=m.battery_v,
            rssi_dbm=uplink.rssi_dbm,
            seq=uplink.f_cnt,
            battery_pct=m.battery_pct,
            snr_db=uplink.snr_db,
            temp_c=m.temp_c,
            previous_state_min=m.previous_state_min,
            hw_health=m.hw_health,
        )
    ]


def _bin_level(uplink: Uplink, binding: SensorBinding, m: Measurement) -> list[Reading]:
    if m.empty:
        return []  # attribute frames (versions, serial number) after power-on, empty uplinks
    return [
        BinLevel(
            district=binding.group,
            bin=binding.device,
            distance_cm=None if m.distance_mm is None else round(m.distance_mm / 10, 1),
            ts=uplink.ts,
            battery_v=m.battery_v,
            temp_c=m.temp_c,
            tilted=m.tilted,
            battery_pct=m.battery_pct,
            rssi_dbm=uplink.rssi_dbm,
            snr_db=uplink.snr_db,
            distance_alarm=m.distance_alarm,
            temp_alarm=m.temp_alarm,
        )
    ]


def topic_levels(topic: str, shape: Sequence[str | None]) -> list[str]:
    """The topic's levels, checked against ``shape`` (None = any non-empty level)."""
    levels = topic.split("/")
    if len(levels) != len(shape) or any(
        (want is not None and level != want) or not level
        for level, want in zip(levels, shape, strict=True)
    ):
        raise Rejected(Reason.BAD_TOPIC, f"unexpected topic shape {topic[:200]!r}")
    return levels
