"""The domain rules as the settings configure them: one place turns settings into rules, so
the API and the evaluator judge by the same thresholds."""

from __future__ import annotations

from datetime import timedelta

from curbside.config.settings import Settings
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.parking.sessions import SessionRules
from curbside.domain.sanitation.clearance import ClearanceRules
from curbside.domain.sanitation.collections import CollectionRules


def session_rules(settings: Settings) -> SessionRules:
    """How parking sessions are cut from status reports."""
    return SessionRules(
        debounce=timedelta(seconds=settings.parking_debounce_s),
        silent_after=timedelta(seconds=settings.space_stale_after_s),
    )


def collection_rules(settings: Settings) -> CollectionRules:
    """When a fall in a bin's fill level is an emptying."""
    return CollectionRules(
        min_drop_pct=settings.collection_min_drop_pct,
        empty_at_most_pct=settings.collection_empty_at_most_pct,
    )


def clearance_rules(settings: Settings) -> ClearanceRules:
    """When a bin needed clearance, and what counts as clearing it."""
    return ClearanceRules(
        rubbish_above_pct=settings.clearance_rubbish_above_pct,
        collection=collection_rules(settings),
    )


def alert_thresholds(settings: Settings) -> AlertThresholds:
    """The limits of the bin and sensor alert rules."""
    return AlertThresholds(
        full_pct=settings.alerts.full_pct,
        fire_temp_c=settings.alerts.fire_temp_c,
        low_battery_v=settings.alerts.low_battery_v,
        bin_silent_after=timedelta(seconds=settings.alerts.bin_silent_after_s),
        space_silent_after=timedelta(seconds=settings.alerts.space_silent_after_s),
        overflow_horizon=timedelta(seconds=settings.alerts.overflow_horizon_s),
    )
