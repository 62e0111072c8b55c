"""Unit tests of the parking domain."""
