"""Layer 2: the pure rules (parking, sanitation, alerts, telemetry state); no I/O, no clock."""
