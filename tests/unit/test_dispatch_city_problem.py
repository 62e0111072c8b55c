"""Which bins a plan must clear, and by when (curbside/domain/dispatch/city_problem.py).

One district due at 19:00 (Shanghai), one truck on 06:00-20:00, 240-litre bins; the expected
times are worked out in the comments from the fill and the rise, not taken from the code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from curbside.city.registry import City, parse_city
from curbside.domain.dispatch.city_problem import BinFill, city_problem, next_plan_at
from curbside.domain.dispatch.problem import BinJob

TZ = ZoneInfo("Asia/Shanghai")
DAY = (2026, 12, 7)


def at(hour: int, minute: int = 0, day: int = 7) -> datetime:
    return datetime(DAY[0], DAY[1], day, hour, minute, tzinfo=TZ)


def town() -> City:
    bins = [
        {"id": f"B{i}", "capacity_l": 240, "depth_cm": 100.0, "lat": 29.87, "lon": 121.54 + i / 1e3}
        for i in range(1, 5)
    ]
    return parse_city(
        {
            "sanitation_districts": [
                {"id": "D1", "name": "D1", "clearance_deadline": "19:00", "bins": bins}
            ],
            "transfer_stations": [{"id": "TS1", "name": "TS1", "lat": 29.87, "lon": 121.53}],
            "trucks": [{"id": "T1", "station": "TS1"}],
        }
    )


def jobs(start: datetime, fills: dict[str, BinFill], **rules: object) -> dict[str, BinJob]:
    problem = city_problem(town(), {("D1", b): f for b, f in fills.items()}, start, **rules)  # type: ignore[arg-type]
    return {job.bin: job for job in problem.bins}


def test_predicted_full_before_the_next_plan_is_must_by_then() -> None:
    # At 10:00, next plan at 11:00 plus a 1 h margin: anything full before 12:00 must go.
    # B1: 70 % rising 20 %/h is full at 11:30 -> must, latest 11:30.
    # B2: 70 % rising 10 %/h is full at 13:00 -> not (optional: the deadline is hours away).
    # B3: 30 % not rising -> never full, optional.
    # B4: 95 % rising 50 %/h is full at 10:06 -> must, but no truck comes sooner than a full
    # bin's hour: latest 11:00.
    fills = {
        "B1": BinFill(70, 20),
        "B2": BinFill(70, 10),
        "B3": BinFill(30, 0),
        "B4": BinFill(95, 50),
    }
    problem = city_problem(
        town(),
        {("D1", b): f for b, f in fills.items()},
        at(10),
        overflow_before=at(12),
        sweep_within=timedelta(hours=3),
    )
    got = {job.bin: job for job in problem.bins}
    assert {b: j.must for b, j in got.items()} == {"B1": True, "B2": False, "B3": False, "B4": True}
    assert got["B1"].overflow_at == at(11, 30)
    assert problem.latest_arrival(got["B1"]) == at(11, 30)
    assert problem.latest_arrival(got["B4"]) == at(11)
    assert got["B2"].overflow_at is None and got["B3"].overflow_at is None
    # Loads are predicted at 12:00 (the latest this plan is driven): B2 at 90 % of 240 l.
    assert got["B2"].load_l == 216
    assert got["B1"].load_l == 240


def test_the_deadline_sweep_starts_within_its_window_and_only_once() -> None:
    # 19:00 deadline, 3 h window: at 15:00 a 40 % bin is optional, at 16:00 it must go by
    # 19:00; one already emptied at 16:30 (inside the window) is not sent for again at 17:00,
    # one emptied at 15:30 (before it) is.
    sweep = {"sweep_within": timedelta(hours=3)}
    assert not jobs(at(15), {"B1": BinFill(40)}, **sweep)["B1"].must
    early = jobs(at(16), {"B1": BinFill(40)}, **sweep)["B1"]
    assert early.must and early.deadline == at(19)
    later = jobs(
        at(17),
        {"B1": BinFill(40, emptied_at=at(16, 30)), "B2": BinFill(40, emptied_at=at(15, 30))},
        **sweep,
    )
    assert not later["B1"].must
    assert later["B2"].must
    # After the deadline nothing is due today; a bin about to overflow still is.
    after = jobs(
        at(19, 30), {"B1": BinFill(40), "B2": BinFill(90, 20)}, overflow_before=at(21), **sweep
    )
    assert not after["B1"].must
    assert after["B2"].must and after["B2"].overflow_at == at(20)


def test_without_a_window_every_bin_holding_rubbish_is_due_by_the_deadline() -> None:
    got = jobs(at(7), {"B1": BinFill(11), "B2": BinFill(10)})
    assert got["B1"].must and got["B1"].deadline == at(19)
    assert not got["B2"].must  # the clearance rule: above 10 %


def test_the_next_plan_is_the_cadence_within_the_shift_then_the_next_morning() -> None:
    city = town()  # one shift, 06:00-20:00
    assert next_plan_at(city, at(10), timedelta(hours=1)) == at(11)
    assert next_plan_at(city, at(18, 30), timedelta(hours=1)) == at(19, 30)
    # 19:30 + 1 h is past the shift's end: the next plan is tomorrow at 06:00.
    assert next_plan_at(city, at(19, 30), timedelta(hours=1)) == at(6, day=8)
    assert next_plan_at(city, at(3), timedelta(hours=1)) == at(4)
