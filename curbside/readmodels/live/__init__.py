"""The live state: following the MQTT stream, and the snapshots readers take of it."""
