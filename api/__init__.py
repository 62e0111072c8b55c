"""The HTTP API: live parking occupancy and bin fill levels, served from an in-memory snapshot."""
