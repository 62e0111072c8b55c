"""Simulated parking and bin sensors for the city, with ground truth: ``python -m simulators``."""
