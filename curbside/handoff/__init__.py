"""The hand-off process: delivers the outbox's events to the city-management platform (signed
webhooks) and on MQTT, at least once, with retries, backoff and a dead-letter list
(docs/handoff.md). Run one per deployment: two would deliver the same messages twice (the
receiver's idempotency key makes that harmless, but wasteful)."""
