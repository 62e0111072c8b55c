"""The alert store with a publisher attached: what the API uses to acknowledge and announce."""

from __future__ import annotations

from collections.abc import Callable

from alerts.model import Alert
from store.alerts import AlertStore
from store.influx import InfluxClient


class PublishingAlertStore(AlertStore):
    """An :class:`AlertStore` that can also announce a changed alert over MQTT."""

    def __init__(self, client: InfluxClient, publish: Callable[[Alert], None]) -> None:
        super().__init__(client)
        self._publish = publish

    def publish(self, alert: Alert) -> None:
        """Announce the alert's current state."""
        self._publish(alert)
