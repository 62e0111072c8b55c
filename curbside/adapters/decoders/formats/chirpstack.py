"""ChirpStack v4 MQTT integration, JSON marshaling: ``up`` and ``status`` events.

Topics ``application/{application_id}/device/{dev_eui}/event/{up|status}``; the payloads are
the Protobuf JSON mapping of ``UplinkEvent`` and ``StatusEvent`` (chirpstack api/proto/
integration/integration.proto), which omits default values: a missing ``fCnt`` is 0 and a
missing ``batteryLevel`` is 0 %. Other events (join, ack, txack, log, location) are not
subscribed to.
"""

from __future__ import annotations

from collections.abc import Sequence

from curbside.adapters.decoders import fields, uplink
from curbside.adapters.decoders.registry import Decoded, register
from curbside.vocabulary.devices import DeviceDirectory, SensorBinding, normal_dev_eui
from curbside.vocabulary.readings import SensorBattery
from curbside.vocabulary.rejection import Reason, Rejected

TOPIC_FILTERS = ("application/+/device/+/event/up", "application/+/device/+/event/status")
_SHAPE = ("application", None, "device", None, "event", None)


def _binding(topic_eui: str, event: fields.JsonObject, devices: DeviceDirectory) -> SensorBinding:
    info = uplink.sub_object(event, "deviceInfo")
    binding = uplink.sensor(devices, info.get("devEui"))
    # The topic names the device too; a mismatch is a misconfigured topic template.
    if normal_dev_eui(topic_eui) != binding.dev_eui:
        raise Rejected(Reason.BAD_TOPIC, f"topic DevEUI {topic_eui[:40]!r} is not the payload's")
    return binding


def _up(event: fields.JsonObject, binding: SensorBinding) -> Decoded:
    rssi, snr = uplink.best_gateway(event.get("rxInfo"))
    frame = uplink.Uplink(
        f_port=uplink.counter(event, "fPort", 255),
        f_cnt=uplink.counter(event, "fCnt", uplink.MAX_F_CNT),
        frame=uplink.frame_bytes(event, "data"),
        decoded=uplink.decoded_object(event, "object"),
        ts=fields.optional_timestamp(event, "time"),
        rssi_dbm=rssi,
        snr_db=snr,
    )
    return uplink.readings(frame, binding)


def _status(event: fields.JsonObject, binding: SensorBinding) -> Decoded:
    external = fields.optional_bool(event, "externalPowerSource") or False
    unavailable = fields.optional_bool(event, "batteryLevelUnavailable") or False
    level = fields.optional_number(event, "batteryLevel", 0.0, 100.0) or 0.0
    return Decoded(
        [
            SensorBattery(
                domain=binding.domain,
                group=binding.group,
                device=binding.device,
                battery_pct=None if external or unavailable else level,
                external_power=external,
                ts=fields.optional_timestamp(event, "time"),
            )
        ]
    )


class ChirpStackJson:
    """Decoder for ChirpStack v4's MQTT integration events."""

    name: str = "chirpstack"
    topic_filters: Sequence[str] = TOPIC_FILTERS

    def decode(self, topic: str, payload: bytes, devices: DeviceDirectory) -> Decoded:
        """Readings from an ``up`` event's frame, or the battery from a ``status`` event."""
        levels = uplink.topic_levels(topic, _SHAPE)
        kind = levels[5]
        if kind not in ("up", "status"):
            raise Rejected(Reason.BAD_TOPIC, f"ChirpStack event {kind[:40]!r} is not handled")
        event = fields.parse_object(payload)
        binding = _binding(levels[3], event, devices)
        return _up(event, binding) if kind == "up" else _status(event, binding)


register(ChirpStackJson())
