"""Simulated LoRaWAN sensors: their frames, wrapped the way ChirpStack or The Things Stack
publish them (docs/hardware.md).

A space or bin whose registry entry names a sensor reports through the chosen network server
in its model's byte layout; everything else (devices without a sensor, trucks' emptied
reports) keeps the native contract, so one run is a mixed fleet. The frames are built from
the same reports the native payloads are, so the ground truth does not change.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from curbside.city.registry import City
from curbside.vocabulary.devices import SensorBinding, SensorModel
from simulators.events import Event, FillReport, SpaceReport
from simulators.options import WireFormat
from simulators.payloads import Message, encode
from simulators.timestamps import Instant, utc_rfc3339

APPLICATION = "curbside-sim"
TENANT = "curbside"
BIN_RSSI_DBM = -95  # bin reports carry no signal strength of their own
SNR_DB = 7.5


@dataclass(frozen=True, slots=True)
class Frame:
    """One uplink frame and the object a vendor codec on the network server makes of it."""

    f_port: int
    data: bytes
    decoded: Mapping[str, Any]


def nwave_duration_code(minutes: int) -> int:
    """Minutes compressed into Nwave's 7 bits (exact below 90, then 5- and 60-minute steps)."""
    if minutes < 90:
        return minutes
    if minutes < 240:
        return 90 + (minutes - 90) // 5
    if minutes < 660:
        return 120 + (minutes - 240) // 60
    return 127


def battery_pct(volts: float) -> int:
    """A lithium cell's voltage as the rough percentage a sensor reports (3.0-3.6 V)."""
    return max(0, min(100, round((volts - 3.0) / 0.6 * 100)))


def _bosch(report: SpaceReport) -> Frame:
    occupied = int(report.occupied)
    if report.reason == "heartbeat":
        return Frame(2, bytes([occupied, 20]), {"type": "heartbeat", "occupied": report.occupied})
    return Frame(1, bytes([occupied]), {"type": "parking status", "occupied": report.occupied})


def _nwave(report: SpaceReport, previous_min: int) -> Frame:
    # Nwave's layout (docs/hardware.md): byte 0 bit 0 = occupied, bits 7..1 = the previous
    # state's compressed duration (status) or the hardware health mask (heartbeat).
    occupied = 0x01 if report.occupied else 0
    if report.reason == "heartbeat":
        raw = max(0, min(255, round((report.battery_v * 1000 - 2500) / 4)))
        temp_code = (20 - 10) * 2  # 20 °C
        decoded = {
            "type": "heartbeat",
            "occupied": report.occupied,
            # The vendor codec masks byte 0 with 0x7f, occupancy bit included.
            "hw_health_status": occupied,
            "battery_voltage": (2500 + raw * 4) / 1000,
            "temperature": 20,
        }
        return Frame(2, bytes([occupied, raw, temp_code]), decoded)
    code = nwave_duration_code(previous_min)
    decoded = {
        "type": "parking_status",
        "occupied": report.occupied,
        "previous_state_duration": _expanded(code),
    }
    return Frame(1, bytes([code << 1 | occupied]), decoded)


def _expanded(code: int) -> int:
    # What Nwave's codec reports for ``code``; written out here rather than imported from
    # curbside.adapters.decoders.codecs.nwave, so the simulation does not share code with what it
    # checks.
    if code < 90:
        return code
    if code < 120:
        return 90 + (code - 90) * 5
    return 240 + (code - 120) * 60 if code < 127 else 660


def _milesight(model: SensorModel, report: FillReport, distance_mm: int) -> Frame:
    pct = battery_pct(report.battery_v)
    tilt = int(report.tilted)
    decoded: dict[str, Any] = {
        "battery": pct,
        "distance": distance_mm,
        "position": "tilt" if tilt else "normal",
    }
    mm = distance_mm.to_bytes(2, "little")
    if model == "milesight-em310-udl":
        return Frame(85, bytes([0x01, 0x75, pct, 0x03, 0x82, *mm, 0x04, 0x00, tilt]), decoded)
    temp = round(report.temp_c * 10).to_bytes(2, "little", signed=True)
    frame = bytes([0x01, 0x75, pct, 0x03, 0x67, *temp, 0x04, 0x82, *mm, 0x05, 0x00, tilt])
    return Frame(85, frame, decoded | {"temperature": round(report.temp_c, 1)})


class NetworkServerEncoder:
    """Encodes reports as one network server would publish them; stateful per sensor."""

    def __init__(self, city: City, wire: WireFormat, *, decoded_object: bool = False) -> None:
        self._wire = wire
        self._decoded_object = decoded_object
        self._city = city
        self._by_place = {(b.domain, b.group, b.device): b for b in city.sensors.values()}
        self._f_cnt: dict[str, int] = {}
        self._last_change: dict[tuple[str, str], tuple[bool, Instant]] = {}

    def messages(self, event: Event, *, seq: bool = False) -> list[Message]:
        """Everything published for ``event``: its message and, through ChirpStack, a device
        status event (battery) with every parking heartbeat."""
        message = self.encode(event, seq=seq)
        if message is None:
            return []
        if self._wire == "chirpstack" and isinstance(event, SpaceReport):
            sensor = self._by_place.get(("parking", event.zone, event.space))
            if sensor is not None and event.reason == "heartbeat":
                return [message, _chirpstack_status(message, sensor, event)]
        return [message]

    def encode(self, event: Event, *, seq: bool = False) -> Message | None:
        """The message for ``event``; native when the device has no sensor (or format native)."""
        native = encode(event, self._city.tz, seq=seq)
        if native is None or self._wire == "native":
            return native
        match event:
            case SpaceReport():
                sensor = self._by_place.get(("parking", event.zone, event.space))
                return (
                    native
                    if sensor is None
                    else self._wrap(native, sensor, self._space(event, sensor))
                )
            case FillReport():
                sensor = self._by_place.get(("sanitation", event.district, event.bin))
                return (
                    native
                    if sensor is None
                    else self._wrap(native, sensor, self._fill(event, sensor))
                )
            case _:
                return native

    def _space(self, report: SpaceReport, sensor: SensorBinding) -> Frame:
        key = (report.zone, report.space)
        state, since = self._last_change.get(key, (report.occupied, report.t))
        previous_min = (report.t - since) // 60  # how long the state now ending lasted
        if state != report.occupied:
            since = report.t
        self._last_change[key] = (report.occupied, since)
        if sensor.model == "nwave-nps":
            return _nwave(report, int(previous_min))
        return _bosch(report)

    def _fill(self, report: FillReport, sensor: SensorBinding) -> Frame:
        known = self._city.bin(report.district, report.bin)
        assert known is not None  # the fleet is built from this registry
        # The distance that stands for the reported fill with this bin's mounting geometry.
        span = known.depth_cm - known.full_distance_cm
        distance_cm = known.full_distance_cm + span * (1 - report.reported_pct / 100)
        return _milesight(sensor.model, report, round(distance_cm * 10))

    def _wrap(self, native: Message, sensor: SensorBinding, frame: Frame) -> Message:
        f_cnt = self._f_cnt.get(sensor.dev_eui, 0) + 1
        self._f_cnt[sensor.dev_eui] = f_cnt
        rssi = native.report.rssi_dbm if isinstance(native.report, SpaceReport) else BIN_RSSI_DBM
        build = _chirpstack if self._wire == "chirpstack" else _tts
        topic, body = build(
            sensor, frame, f_cnt=f_cnt, t=native.t, rssi=rssi, decoded=self._decoded_object
        )
        payload = json.dumps(body, ensure_ascii=False).encode()
        return replace(native, topic=topic, payload=payload)


def _chirpstack(
    sensor: SensorBinding, frame: Frame, *, f_cnt: int, t: Instant, rssi: int, decoded: bool
) -> tuple[str, dict[str, Any]]:
    eui = sensor.dev_eui.lower()
    event: dict[str, Any] = {
        "deduplicationId": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{eui}/{f_cnt}")),
        "time": utc_rfc3339(t),
        "deviceInfo": _device_info(sensor),
        "fPort": frame.f_port,
        "data": base64.b64encode(frame.data).decode(),
        "rxInfo": [{"gatewayId": "c0ee40ffff29df10", "rssi": rssi, "snr": SNR_DB}],
    }
    if f_cnt:  # proto3 JSON leaves zero out
        event["fCnt"] = f_cnt
    if decoded:
        event["object"] = dict(frame.decoded)
    return f"application/{APPLICATION}/device/{eui}/event/up", event


def _device_info(sensor: SensorBinding) -> dict[str, Any]:
    return {
        "tenantName": "Curbside simulator",
        "applicationId": APPLICATION,
        "applicationName": "Curbside simulator",
        "deviceProfileName": sensor.model,
        "deviceName": f"{sensor.group}/{sensor.device}",
        "devEui": sensor.dev_eui.lower(),
        "tags": {},
    }


def _chirpstack_status(up: Message, sensor: SensorBinding, report: SpaceReport) -> Message:
    """ChirpStack's ``status`` event: the sensor's answer to a device-status request."""
    eui = sensor.dev_eui.lower()
    event: dict[str, Any] = {
        "deduplicationId": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{eui}/status/{report.t}")),
        "time": utc_rfc3339(report.t),
        "deviceInfo": _device_info(sensor),
        "margin": 7,
    }
    level = battery_pct(report.battery_v)
    if level:  # proto3 JSON leaves zero out
        event["batteryLevel"] = float(level)
    topic = f"application/{APPLICATION}/device/{eui}/event/status"
    return replace(up, topic=topic, payload=json.dumps(event).encode())


def _tts(
    sensor: SensorBinding, frame: Frame, *, f_cnt: int, t: Instant, rssi: int, decoded: bool
) -> tuple[str, dict[str, Any]]:
    device_id = f"sensor-{sensor.dev_eui.lower()}"
    when = utc_rfc3339(t)
    up: dict[str, Any] = {
        "f_port": frame.f_port,
        "f_cnt": f_cnt,
        "frm_payload": base64.b64encode(frame.data).decode(),
        "rx_metadata": [
            {
                "gateway_ids": {"gateway_id": "sim-gw-1"},
                "rssi": rssi,
                "channel_rssi": rssi,
                "snr": SNR_DB,
            }
        ],
        "received_at": when,
    }
    if decoded:
        up["decoded_payload"] = dict(frame.decoded)
    message = {
        "end_device_ids": {
            "device_id": device_id,
            "application_ids": {"application_id": APPLICATION},
            "dev_eui": sensor.dev_eui,
        },
        "received_at": when,
        "uplink_message": up,
    }
    return f"v3/{APPLICATION}@{TENANT}/devices/{device_id}/up", message
