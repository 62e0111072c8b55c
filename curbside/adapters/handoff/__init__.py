"""The channels that hand outbox events to the city-management platform: a signed webhook and
MQTT (docs/handoff.md)."""
