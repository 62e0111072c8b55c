"""Dead letters: a rejected message republished with its reason, for people to inspect."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from curbside.vocabulary.rejection import Rejected
from curbside.vocabulary.topics import DEADLETTER_ROOT

PREFIX = DEADLETTER_ROOT
MAX_PAYLOAD_ECHO = 1024  # enough to diagnose a device; a flood of huge messages stays small
# MQTT allows 65,535 bytes of topic, so an attacker's topic near that limit cannot be wrapped
# at all, and a long one wrapped would sit in the outgoing queue at full size. Real sensor
# topics are well under 100 bytes; a topic longer than this is dropped (acknowledged, counted)
# instead of dead-lettered.
MAX_WRAPPED_TOPIC_BYTES = 1024


def deadletter_topic(rejected: Rejected, topic: str) -> str | None:
    """``deadletter/{reason}/{original topic}``: subscribe per reason or per device.

    None when the original topic is longer than ``MAX_WRAPPED_TOPIC_BYTES``: such a message
    cannot be dead-lettered under its own topic and is dropped instead.
    """
    if len(topic.encode("utf-8", "surrogateescape")) > MAX_WRAPPED_TOPIC_BYTES:
        return None
    return f"{PREFIX}/{rejected.reason}/{topic}"


def deadletter_payload(
    rejected: Rejected, topic: str, payload: bytes, received_at: datetime
) -> bytes:
    """A JSON record of the rejection with (the start of) the original payload."""
    head = payload[:MAX_PAYLOAD_ECHO]
    try:
        echo: dict[str, str] = {"payload": head.decode("utf-8")}
    except UnicodeDecodeError:
        echo = {"payload_base64": base64.b64encode(head).decode("ascii")}
    record = {
        "reason": str(rejected.reason),
        "detail": rejected.detail,
        "topic": topic[:MAX_WRAPPED_TOPIC_BYTES],
        "received_at": received_at.isoformat(),
        "payload_bytes": len(payload),
        "truncated": len(payload) > MAX_PAYLOAD_ECHO,
        **echo,
    }
    return json.dumps(record, ensure_ascii=False).encode()
