"""The worked examples in docs/fees.md, checked against the engine, so doc and code agree.

The page's ``yaml fee-tariffs`` blocks add tariffs to the demo city's; each ``yaml
fee-example`` block is one stay with its hand-worked items, cap deduction and total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import yaml

from curbside.city.registry import load_city
from curbside.domain.parking.fees import compute_fee, to_seconds
from curbside.domain.parking.fees_vectorised import compute_fees
from curbside.vocabulary.tariff import Tariff

ROOT = Path(__file__).parents[3]
DOC = ROOT / "docs" / "fees.md"
CITY = load_city(ROOT / "curbside" / "city" / "demo-city.yaml")
TZ = CITY.tz

BLOCK = re.compile(r"^```yaml (fee-tariffs|fee-example)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
CLOCK = r"(?:\d{4}-\d\d-\d\d |\d\d-\d\d )?\d\d:\d\d"
MONEY = r"¥\d+\.\d\d"
ITEM = re.compile(
    rf"^(?P<band>\S+) (?P<start>{CLOCK})–(?P<end>{CLOCK}) "
    rf"(?P<units>\d+) × (?P<unit>{MONEY}) = (?P<subtotal>{MONEY})$"
)


@dataclass(frozen=True)
class Example:
    line: int
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return f"line{self.line}-{self.data['tariff']}"


def _blocks() -> tuple[dict[str, Tariff], list[Example]]:
    text = DOC.read_text(encoding="utf-8")
    tariffs: dict[str, Tariff] = {}
    examples: list[Example] = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        data = yaml.safe_load(match.group(2))
        if match.group(1) == "fee-tariffs":
            for tariff_id, body in data.items():
                assert tariff_id not in tariffs and tariff_id not in CITY.tariffs, tariff_id
                tariffs[tariff_id] = Tariff.model_validate(body)
        else:
            examples.append(Example(line, data))
    return tariffs, examples


DOC_TARIFFS, EXAMPLES = _blocks()


def _fen(money: str) -> int:
    whole, cents = money.removeprefix("¥").split(".")
    return int(whole) * 100 + int(cents)


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=TZ)
    return datetime.strptime(str(value), "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


def _clock(text: str, after: datetime, strictly: bool) -> datetime:
    """A local time written in an item: dated, or the first such clock time after ``after``."""
    if len(text) > 5:
        day_text, clock_text = text.split(" ")
        day = date.fromisoformat(day_text if len(day_text) == 10 else f"{after.year}-{day_text}")
        return datetime.combine(day, time.fromisoformat(clock_text), TZ)
    clock = time.fromisoformat(text)
    moment = datetime.combine(after.date(), clock, TZ)
    if moment < after or (strictly and moment == after):
        moment += timedelta(days=1)
    return moment


def _items(example: Example) -> list[tuple[str, datetime, datetime, int, int, int]]:
    previous = _moment(example.data["entry"])
    items = []
    for line in example.data["items"]:
        match = ITEM.match(line)
        assert match, f"docs/fees.md line {example.line}: cannot read item {line!r}"
        start = _clock(match["start"], previous, strictly=False)
        end = _clock(match["end"], start, strictly=True)
        previous = end
        items.append(
            (
                match["band"],
                start,
                end,
                int(match["units"]),
                _fen(match["unit"]),
                _fen(match["subtotal"]),
            )
        )
    return items


def _tariff(tariff_id: str) -> Tariff:
    return DOC_TARIFFS[tariff_id] if tariff_id in DOC_TARIFFS else CITY.tariffs[tariff_id]


def test_the_page_has_examples_of_every_tariff_and_cap_window() -> None:
    used = {e.data["tariff"] for e in EXAMPLES}
    assert used >= set(DOC_TARIFFS) | set(CITY.tariffs)
    windows = {_tariff(t).cap.window for t in used if _tariff(t).cap is not None}  # type: ignore[union-attr]
    assert windows == {"24h-from-entry", "calendar-day", "charging-day"}
    assert len(EXAMPLES) >= 25


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_the_hand_arithmetic_adds_up(example: Example) -> None:
    items = _items(example)
    for band, _, _, units, unit_fen, subtotal in items:
        assert units * unit_fen == subtotal, f"line {example.line}: {band} {units} × {unit_fen}"
    subtotals = sum(item[5] for item in items)
    assert subtotals - _fen(example.data["cap"]) == _fen(example.data["total"])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_the_engine_agrees_with_the_page(example: Example) -> None:
    tariff = _tariff(example.data["tariff"])
    entry, exit_ = _moment(example.data["entry"]), _moment(example.data["exit"])
    fee = compute_fee(tariff, entry, exit_, CITY.workday_calendar, TZ)
    got = [(i.band, i.start, i.end, i.units, i.unit_fen, i.subtotal_fen) for i in fee.items]
    assert got == _items(example)
    assert fee.cap_deduction_fen == _fen(example.data["cap"])
    assert fee.total_fen == _fen(example.data["total"])
    assert fee.grace_applied is example.data.get("grace_applied", False)
    bulk = compute_fees(
        tariff,
        np.array([to_seconds(entry)]),
        np.array([to_seconds(exit_)]),
        CITY.workday_calendar,
        ZoneInfo(CITY.timezone),
    )
    assert bulk.tolist() == [fee.total_fen]
