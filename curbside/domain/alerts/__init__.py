"""Alerts: conditions that need a person, opened once, acknowledged, resolved by themselves."""
