"""The alert store with a publisher attached: what the API uses to acknowledge and announce."""

from __future__ import annotations

from collections.abc import Callable

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.vocabulary.alerts import Alert


class PublishingAlertStore(AlertStore):
    """An :class:`AlertStore` that can also announce a changed alert over MQTT."""

    def __init__(self, client: InfluxClient, publish: Callable[[Alert], None]) -> None:
        super().__init__(client)
        self._publish = publish

    def publish(self, alert: Alert) -> None:
        """Announce the alert's current state."""
        self._publish(alert)
