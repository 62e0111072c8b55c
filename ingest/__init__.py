"""Ingest: MQTT messages in, InfluxDB points out, acknowledged only once stored."""
