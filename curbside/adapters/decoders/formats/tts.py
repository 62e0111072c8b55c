"""The Things Stack v3 MQTT server: application uplinks.

Topic ``v3/{application_id}@{tenant_id}/devices/{device_id}/up`` (plain ``{application_id}``
on open-source deployments). Payload: ``ApplicationUp`` JSON with ``end_device_ids``
(``device_id``, ``dev_eui``), ``received_at`` and ``uplink_message`` (``f_port``, ``f_cnt``,
``frm_payload``, ``decoded_payload``, ``rx_metadata``). Empty fields are omitted, so a missing
``f_cnt`` is 0. The sensor is found by DevEUI: the device id is the operator's free text.

``uplink_message.last_battery_percentage`` (``{f_cnt, value, received_at}``, since The Things
Stack 3.33.1) is the battery level the network server last had from the device (LoRaWAN
DevStatusAns): stored as a ``sensor_battery`` reading, as ChirpStack's ``status`` event is.
An uplink marked ``"simulated": true`` was typed into the console, not sent by a sensor: it
is refused as ``simulated``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from curbside.adapters.decoders import fields, uplink
from curbside.adapters.decoders.registry import Decoded, register
from curbside.vocabulary.devices import DeviceDirectory, SensorBinding
from curbside.vocabulary.readings import SensorBattery
from curbside.vocabulary.rejection import Reason, Rejected

TOPIC_FILTERS = ("v3/+/devices/+/up",)
_SHAPE = ("v3", None, "devices", None, "up")


class TheThingsStackJson:
    """Decoder for The Things Stack v3 uplink messages."""

    name: str = "tts"
    topic_filters: Sequence[str] = TOPIC_FILTERS

    def decode(self, topic: str, payload: bytes, devices: DeviceDirectory) -> Decoded:
        """The readings of one uplink message's frame, and the device's battery level."""
        uplink.topic_levels(topic, _SHAPE)
        message = fields.parse_object(payload)
        if fields.optional_bool(message, "simulated"):
            raise Rejected(Reason.SIMULATED, "uplink simulated from The Things Stack's console")
        ids = uplink.sub_object(message, "end_device_ids")
        binding = uplink.sensor(devices, ids.get("dev_eui"))
        up = uplink.sub_object(message, "uplink_message")
        rssi, snr = uplink.best_gateway(up.get("rx_metadata"))
        ts = fields.optional_timestamp(message, "received_at") or fields.optional_timestamp(
            up, "received_at"
        )
        frame = uplink.Uplink(
            f_port=uplink.counter(up, "f_port", 255),
            f_cnt=uplink.counter(up, "f_cnt", uplink.MAX_F_CNT),
            frame=uplink.frame_bytes(up, "frm_payload"),
            decoded=uplink.decoded_object(up, "decoded_payload"),
            ts=ts,
            rssi_dbm=rssi,
            snr_db=snr,
        )
        decoded = uplink.readings(frame, binding)
        battery = _battery(up, binding, ts)
        return (
            decoded if battery is None else Decoded([*decoded.readings, battery], decoded.skipped)
        )


def _battery(
    up: fields.JsonObject, binding: SensorBinding, ts: datetime | None
) -> SensorBattery | None:
    # Repeated on every uplink until the next DevStatusAns: stamped with this uplink's time,
    # the level as the network server knows it then (a re-stored level is the same point).
    if up.get("last_battery_percentage") is None:
        return None
    last = uplink.sub_object(up, "last_battery_percentage")
    level = fields.optional_number(last, "value", 0.0, 100.0)
    if level is None:
        return None
    return SensorBattery(
        domain=binding.domain,
        group=binding.group,
        device=binding.device,
        battery_pct=level,
        external_power=False,
        ts=ts,
    )


register(TheThingsStackJson())
