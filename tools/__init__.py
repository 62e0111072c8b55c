"""Tooling: never imported by the product and not in the wheel."""
