"""Layer 3: the edges to the outside world: InfluxDB, MQTT, payload decoders, API keys,
broker accounts."""
