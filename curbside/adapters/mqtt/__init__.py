"""MQTT: how every process builds its client, and the alert publisher."""
