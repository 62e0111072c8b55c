"""Parking domain: space occupancy per zone (pure logic)."""
