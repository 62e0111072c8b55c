"""The thresholds people configure reach the rules the API and the evaluator judge by."""

from __future__ import annotations

from datetime import timedelta

from curbside.config.rules import alert_thresholds, clearance_rules, session_rules
from curbside.config.settings import load_settings


def test_configured_thresholds_reach_the_rules() -> None:
    settings = load_settings(
        alert_full_pct=75,
        alert_fire_temp_c=55,
        alert_low_battery_v=3.2,
        alert_bin_silent_after_s=600,
        alert_space_silent_after_s=900,
        alert_overflow_horizon_s=1800,
        collection_min_drop_pct=25,
        collection_empty_at_most_pct=12,
        clearance_rubbish_above_pct=8,
        parking_debounce_s=90,
        space_stale_after_s=1200,
    )
    t = alert_thresholds(settings)
    assert (t.full_pct, t.fire_temp_c, t.low_battery_v) == (75, 55, 3.2)
    assert (t.bin_silent_after, t.space_silent_after, t.overflow_horizon) == (
        timedelta(minutes=10),
        timedelta(minutes=15),
        timedelta(minutes=30),
    )
    c = clearance_rules(settings)
    assert c.rubbish_above_pct == 8
    assert (c.collection.min_drop_pct, c.collection.empty_at_most_pct) == (25, 12)
    s = session_rules(settings)
    assert (s.debounce, s.silent_after) == (timedelta(seconds=90), timedelta(minutes=20))
