"""Outbound webhooks signed the Standard Webhooks way (https://www.standardwebhooks.com/):
``webhook-id`` (the event's idempotency key), ``webhook-timestamp`` (Unix seconds, against
replay) and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 over ``id.timestamp.body``
with the shared secret), so the platform can verify with any of that scheme's libraries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from curbside.adapters.handoff.delivery import DeliveryFailed
from curbside.adapters.records.models import OutboxMessage


def webhook_body(message: OutboxMessage) -> str:
    """The exact text sent and signed: compact JSON, UTF-8, keys in a stable order."""
    return json.dumps(message.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def signed_headers(
    webhook: Webhook, key: str, kind: str, body: str, at: datetime
) -> dict[str, str]:
    """The headers of one delivery signed at ``at``."""
    return {
        "content-type": "application/json; charset=utf-8",
        "webhook-id": key,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": webhook.sign(key, at.astimezone(UTC), body),
        "idempotency-key": key,
        "x-curbside-event": kind,
    }


class WebhookSender:
    """POSTs each message to the platform's endpoint; any 2xx is delivered."""

    def __init__(
        self,
        url: str,
        secret: str,
        timeout_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._url = url
        self._webhook = Webhook(secret)
        self._clock = clock
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def send(self, message: OutboxMessage) -> None:
        """One attempt, signed now (a retry is signed afresh: its timestamp is current)."""
        body = webhook_body(message)
        headers = signed_headers(self._webhook, message.key, message.kind, body, self._clock())
        try:
            answer = self._client.post(self._url, content=body.encode(), headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not answer.is_success:
            raise DeliveryFailed(f"HTTP {answer.status_code}: {answer.text[:200]}")

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
