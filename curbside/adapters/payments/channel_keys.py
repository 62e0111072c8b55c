"""The payment channels' signing keys, read once at start-up from a JSON file.

The file is ``{"channel id": "secret", ...}``; a secret shorter than 32 characters, an id that
is not a short plain name, or a file that is not such an object is refused with a message
naming the problem (and never the secret).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

MIN_SECRET = 32
_CHANNEL_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class ChannelKeysError(ValueError):
    """The channels file cannot be used; the message says why."""


def load_channel_keys(path: Path | None) -> dict[str, bytes]:
    """Channel id -> secret key; no file, no channels (every notification is refused)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChannelKeysError(f"payments_channels_file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ChannelKeysError(f"payments_channels_file {path}: expected a JSON object")
    keys: dict[str, bytes] = {}
    for channel, secret in data.items():
        if not _CHANNEL_ID.fullmatch(channel):
            raise ChannelKeysError(
                f"payments_channels_file {path}: channel id {channel[:70]!r} is not lower-case "
                "letters, digits, '-' and '_' (at most 64)"
            )
        if not isinstance(secret, str) or len(secret) < MIN_SECRET:
            raise ChannelKeysError(
                f"payments_channels_file {path}: the secret of {channel!r} must be a string of "
                f"at least {MIN_SECRET} characters"
            )
        keys[channel] = secret.encode()
    return keys
