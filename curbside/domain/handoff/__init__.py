"""Handing events to the city-management platform: retry rules (pure)."""
