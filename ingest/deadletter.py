"""Dead letters: a rejected message republished with its reason, for people to inspect."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from telemetry.rejection import Rejected

PREFIX = "deadletter"
MAX_PAYLOAD_ECHO = 1024  # enough to diagnose a device; a flood of huge messages stays small


def deadletter_topic(rejected: Rejected, topic: str) -> str:
    """``deadletter/{reason}/{original topic}``: subscribe per reason or per device."""
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
        "topic": topic,
        "received_at": received_at.isoformat(),
        "payload_bytes": len(payload),
        "truncated": len(payload) > MAX_PAYLOAD_ECHO,
        **echo,
    }
    return json.dumps(record, ensure_ascii=False).encode()
