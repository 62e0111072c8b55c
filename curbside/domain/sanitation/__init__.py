"""Sanitation domain: bin fill levels, collections and daily clearance (pure logic)."""
