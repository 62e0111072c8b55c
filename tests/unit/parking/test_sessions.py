"""Sessions from hand-made report series, and properties that hold for any series."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.parking.sessions import (
    MESSAGES_LOST,
    ONGOING,
    SENSOR_SILENT,
    START_UNKNOWN,
    Observation,
    Session,
    SessionRules,
    derive_sessions,
    needs_earlier_data,
    seq_lost,
)

T0 = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
RULES = SessionRules(debounce=timedelta(seconds=60), silent_after=timedelta(hours=1))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def vac(minutes: float, seq: int | None = None) -> Observation:
    return Observation(at(minutes), False, seq)


def occ(minutes: float, seq: int | None = None) -> Observation:
    return Observation(at(minutes), True, seq)


def derive(observations: list[Observation], now_minutes: float) -> list[Session]:
    return derive_sessions("Z1", "A-1", observations, at(now_minutes), RULES)


def session(
    start: float, end: float | None, confirmed: float, *flags: str, space: str = "A-1"
) -> Session:
    return Session(
        zone="Z1",
        space=space,
        start=at(start),
        end=None if end is None else at(end),
        last_confirmed=at(confirmed),
        flags=frozenset(flags),
    )


# A car from 10 to 40 with heartbeats every 10 minutes, on a space free before and after.
STAY = [vac(0), occ(10), occ(20), occ(30), vac(40), vac(50)]


def test_heartbeats_are_one_session() -> None:
    assert derive(STAY, 60) == [session(10, 40, 30)]


def test_exact_duplicates_are_ignored() -> None:
    assert derive(STAY + STAY[1:3] + [STAY[4]], 60) == [session(10, 40, 30)]


def test_out_of_order_reports_are_sorted_by_time() -> None:
    shuffled = list(reversed(STAY))
    assert derive(shuffled, 60) == [session(10, 40, 30)]


def test_an_occupied_flicker_shorter_than_the_debounce_is_no_session() -> None:
    passing = [vac(0), occ(10), vac(10 + 20 / 60), vac(20)]
    assert derive(passing, 30) == []


def test_a_vacant_blip_shorter_than_the_debounce_does_not_split_a_stay() -> None:
    blinking = [vac(0), occ(10), vac(30), occ(30.25), occ(40), vac(50)]
    assert derive(blinking, 60) == [session(10, 50, 40)]


def test_a_vacancy_of_the_debounce_or_longer_splits() -> None:
    two = [vac(0), occ(10), vac(30), occ(31), vac(50)]
    assert derive(two, 60) == [session(10, 30, 10), session(31, 50, 31)]


def test_a_stay_open_at_now_is_ongoing_with_its_duration_so_far() -> None:
    [found] = derive([vac(0), occ(10), occ(20)], 25)
    assert found == session(10, None, 20, ONGOING)
    assert found.duration_s(at(25)) == 15 * 60


def test_a_fresh_vacancy_shorter_than_the_debounce_leaves_the_stay_ongoing() -> None:
    reports = [vac(0), occ(10), vac(30)]
    assert derive(reports, 30.5) == [session(10, None, 10, ONGOING)]
    assert derive(reports, 31) == [session(10, 30, 10)]


def test_a_fresh_occupied_report_becomes_a_session_after_the_debounce() -> None:
    reports = [vac(0), occ(10)]
    assert derive(reports, 10.5) == []
    assert derive(reports, 11) == [session(10, None, 10, ONGOING)]


def test_a_silent_sensor_ends_the_stay_at_its_last_confirmation() -> None:
    reports = [vac(0), occ(10), occ(20)]
    [found] = derive(reports, 200)
    assert found == session(10, 20, 20, SENSOR_SILENT)
    assert found.duration_s(at(200)) == 10 * 60  # never the invented 190 minutes


def test_a_silence_inside_the_series_ends_the_stay_and_the_next_start_is_unknown() -> None:
    reports = [vac(0), occ(10), occ(20), occ(200), vac(250)]
    assert derive(reports, 300) == [
        session(10, 20, 20, SENSOR_SILENT),
        session(200, 250, 200, START_UNKNOWN),
    ]


def test_a_vacant_report_before_the_silence_ends_the_stay_there() -> None:
    reports = [vac(0), occ(10), occ(20), vac(25)]
    assert derive(reports, 300) == [session(10, 25, 20)]


def test_a_stay_seen_from_the_first_report_has_an_unknown_start() -> None:
    reports = [occ(0), occ(10), vac(20)]
    assert derive(reports, 30) == [session(0, 20, 10, START_UNKNOWN)]
    # A vacancy shorter than the debounce at the start may be a blink under the same car.
    blink = [vac(0), occ(0.5), vac(20)]
    assert derive(blink, 30) == [session(0.5, 20, 0.5, START_UNKNOWN)]


def test_reports_after_now_have_not_happened_yet() -> None:
    assert derive([*STAY, occ(70), occ(80)], 60) == [session(10, 40, 30)]


def test_a_gap_in_the_message_counter_flags_lost_messages() -> None:
    lost = [vac(0, 1), occ(10, 2), occ(20, 5), vac(30, 6), vac(40, 7)]
    assert derive(lost, 50) == [session(10, 30, 20, MESSAGES_LOST)]
    # The message before the start and the one that ends the stay count too.
    lost_at_start = [vac(0, 1), occ(10, 4), vac(30, 5), vac(40, 6)]
    assert derive(lost_at_start, 50) == [session(10, 30, 10, MESSAGES_LOST)]
    lost_at_end = [vac(0, 1), occ(10, 2), vac(30, 9), vac(40, 10)]
    assert derive(lost_at_end, 50) == [session(10, 30, 10, MESSAGES_LOST)]


def test_repeats_wraps_resets_and_missing_counters_are_no_loss() -> None:
    repeated = [vac(0, 7), occ(10, 8), occ(15, 8), vac(30, 9)]
    wrapped = [vac(0, 65534), occ(10, 65535), vac(30, 0)]
    reset = [vac(0, 4000), occ(10, 0), vac(30, 1)]
    mixed = [vac(0, 1), occ(10), vac(30, 9)]
    for reports in (repeated, wrapped, reset, mixed):
        assert all(MESSAGES_LOST not in s.flags for s in derive(reports, 50)), reports


def test_lost_messages_elsewhere_do_not_flag_the_session() -> None:
    reports = [vac(0, 1), vac(5, 9), occ(10, 10), vac(30, 11), vac(40, 30)]
    assert derive(reports, 50) == [session(10, 30, 10)]


@pytest.mark.parametrize(
    ("previous", "current", "lost"),
    [(1, 2, 0), (1, 1, 0), (1, 4, 2), (65535, 0, 0), (65534, 1, 2), (500, 3, 0), (70000, 70002, 1)],
)
def test_seq_lost(previous: int, current: int, lost: int) -> None:
    assert seq_lost(previous, current) == lost


def test_needs_earlier_data_when_a_session_in_the_window_starts_at_the_first_report() -> None:
    reports = [occ(0), occ(10), vac(20), vac(30), occ(40), vac(50)]
    assert needs_earlier_data(reports, at(15), at(60), RULES)
    assert not needs_earlier_data(reports, at(25), at(60), RULES)  # that stay ended before
    assert not needs_earlier_data(STAY, at(0), at(60), RULES)
    # After a silence, reading earlier cannot tell more.
    silent_first = [occ(0), occ(200), vac(250)]
    assert not needs_earlier_data(silent_first, at(100), at(300), RULES)


def test_rules_refuse_non_positive_limits() -> None:
    with pytest.raises(ValueError, match="debounce"):
        SessionRules(debounce=timedelta(0))
    with pytest.raises(ValueError, match="silent_after"):
        SessionRules(silent_after=timedelta(seconds=-1))


def test_overlaps_and_duration() -> None:
    ended = session(10, 40, 30)
    assert ended.overlaps(at(39), at(100))
    assert not ended.overlaps(at(40), at(100))
    assert not ended.overlaps(at(0), at(10))
    assert ended.duration_s(at(1000)) == 30 * 60
    assert session(10, None, 20, ONGOING).overlaps(at(500), at(600))


# Report times in whole seconds over about six hours, so series mix heartbeats, flickers,
# blinks shorter than the debounce and silences longer than an hour.
reports = st.lists(
    st.builds(
        Observation,
        ts=st.integers(0, 6 * 3600).map(lambda s: T0 + timedelta(seconds=s)),
        occupied=st.booleans(),
        seq=st.none() | st.integers(0, 65535),
    ),
    max_size=40,
)
nows = st.integers(0, 8 * 3600).map(lambda s: T0 + timedelta(seconds=s))


@given(reports, nows)
def test_sessions_are_sorted_disjoint_and_start_at_an_occupied_report(
    observations: list[Observation], now: datetime
) -> None:
    found = derive_sessions("Z1", "A-1", observations, now, RULES)
    occupied_at = {o.ts for o in observations if o.occupied and o.ts <= now}
    for earlier, later in itertools.pairwise(found):
        assert earlier.end is not None
        assert earlier.end <= later.start
    for one in found:
        assert one.start in occupied_at
        assert one.last_confirmed in occupied_at
        assert one.start <= one.last_confirmed
        assert one.duration_s(now) >= RULES.debounce.total_seconds()
        assert (one.end is None) == (ONGOING in one.flags)
        if one.end is not None:
            assert one.start < one.end
            assert one.last_confirmed <= one.end
        if SENSOR_SILENT in one.flags:
            assert one.end == one.last_confirmed
        assert one.flags <= {ONGOING, SENSOR_SILENT, MESSAGES_LOST, START_UNKNOWN}


@given(reports, nows, st.randoms(use_true_random=False))
def test_duplicates_and_order_do_not_change_the_sessions(
    observations: list[Observation], now: datetime, rng: random.Random
) -> None:
    expected = derive_sessions("Z1", "A-1", observations, now, RULES)
    noisy = observations + rng.sample(observations, k=len(observations) // 2)
    rng.shuffle(noisy)
    assert derive_sessions("Z1", "A-1", noisy, now, RULES) == expected
