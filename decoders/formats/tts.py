"""The Things Stack v3 MQTT server: application uplinks.

Topic ``v3/{application_id}@{tenant_id}/devices/{device_id}/up`` (plain ``{application_id}``
on open-source deployments). Payload: ``ApplicationUp`` JSON with ``end_device_ids``
(``device_id``, ``dev_eui``), ``received_at`` and ``uplink_message`` (``f_port``, ``f_cnt``,
``frm_payload``, ``decoded_payload``, ``rx_metadata``). Empty fields are omitted, so a missing
``f_cnt`` is 0. The sensor is found by DevEUI: the device id is the operator's free text.
"""

from __future__ import annotations

from collections.abc import Sequence

from decoders import fields, uplink
from decoders.registry import register
from telemetry.devices import DeviceDirectory
from telemetry.readings import Reading

TOPIC_FILTERS = ("v3/+/devices/+/up",)
_SHAPE = ("v3", None, "devices", None, "up")


class TheThingsStackJson:
    """Decoder for The Things Stack v3 uplink messages."""

    name: str = "tts"
    topic_filters: Sequence[str] = TOPIC_FILTERS

    def decode(self, topic: str, payload: bytes, devices: DeviceDirectory) -> list[Reading]:
        """The readings of one uplink message's frame."""
        uplink.topic_levels(topic, _SHAPE)
        message = fields.parse_object(payload)
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
        return uplink.readings(frame, binding)


register(TheThingsStackJson())
