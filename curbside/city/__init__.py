"""The city registry: zones, spaces, districts, bins, stations and trucks, from one file."""
