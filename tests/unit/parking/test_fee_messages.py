"""Fee items as codes: each item's message agrees with the item it describes, survives the
stored breakdown, and a breakdown stored before codes still reads (with its description)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from curbside.city.registry import load_city
from curbside.domain.parking.charges import breakdown, fee_from_breakdown
from curbside.domain.parking.fees import compute_fee

CITY = load_city(Path(__file__).parents[3] / "curbside" / "city" / "demo-city.yaml")
# Friday 27 November 2026 18:00 local, for 15 hours: workday tiers, the night's flat price,
# then Saturday's non-workday tiers (the example of docs/fees.md's main-road tariff).
FRIDAY_EVENING = datetime(2026, 11, 27, 18, 0, tzinfo=CITY.tz)
STAYS = [
    ("main-road", FRIDAY_EVENING, timedelta(hours=15)),
    ("secondary", FRIDAY_EVENING - timedelta(hours=9), timedelta(hours=2, minutes=10)),
]


@pytest.mark.parametrize(("tariff", "entry", "stay"), STAYS)
def test_each_items_message_says_what_the_item_is(
    tariff: str, entry: datetime, stay: timedelta
) -> None:
    fee = compute_fee(CITY.tariffs[tariff], entry, entry + stay, CITY.workday_calendar, CITY.tz)
    assert fee.items
    for item in fee.items:
        assert item.message is not None
        params = item.message.params
        assert (params["units"], params["unit_fen"]) == (item.units, item.unit_fen)
        saturday = item.start.astimezone(CITY.tz).weekday() == 5
        assert params["day"] == ("non_workday" if saturday else "workday")
    codes = [i.message.code for i in fee.items if i.message is not None]
    if tariff == "main-road":
        assert codes == [
            "fee.tier.first", "fee.tier.between", "fee.flat", "fee.tier.first", "fee.tier.after"
        ]  # fmt: skip
    else:
        assert set(codes) == {"fee.tier.only"}


def test_the_stored_breakdown_keeps_the_messages_and_older_ones_still_read() -> None:
    entry, stay = FRIDAY_EVENING, timedelta(hours=15)
    fee = compute_fee(
        CITY.tariffs["main-road"], entry, entry + stay, CITY.workday_calendar, CITY.tz
    )
    stored = breakdown(fee)
    assert fee_from_breakdown(stored) == fee
    older = {
        **stored,
        "items": [{k: v for k, v in i.items() if k != "message"} for i in stored["items"]],
    }
    read = fee_from_breakdown(older)
    assert [i.message for i in read.items] == [None] * len(fee.items)
    assert [i.description for i in read.items] == [i.description for i in fee.items]
