"""The dashboard speaks one language at a time: with an alert of every kind and a fee
breakdown on screen, the Chinese page's alert cards and fee calculator hold no English, the
English page's no Chinese; dates are YYYY-MM-DD in both, and every time is the city's local
time (the browser runs in Europe/London, the city in Asia/Shanghai).

The alerts come from the real rules, run on device states made to raise each kind, and stored
as the evaluator stores them; the API serves the demo county over them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page

from curbside.adapters.influx.alerts import AlertStore
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from curbside.domain.alerts.bin_rules import (
    fire_conditions,
    full_conditions,
    low_battery_conditions,
    sensor_silent_conditions,
    tilted_conditions,
)
from curbside.domain.alerts.lifecycle import reconcile
from curbside.domain.alerts.overstay import overstay_conditions
from curbside.domain.alerts.thresholds import AlertThresholds
from curbside.domain.parking.occupancy import SpaceState
from curbside.domain.parking.sessions import Session
from curbside.domain.sanitation.bins import BinState
from curbside.domain.sanitation.clearance import (
    BinClearance,
    not_cleared_detail,
    not_cleared_message,
)
from curbside.domain.sanitation.collections import Level
from curbside.domain.sanitation.forecast import overflow_soon_conditions
from curbside.vocabulary.alerts import AlertKind, Condition, Domain, Subject
from tests.browser.chromium import ask_for_quote, sign_in
from tests.browser.conftest import county_database
from tests.e2e.town import api_server

pytestmark = pytest.mark.browser

CITY = ZoneInfo("Asia/Shanghai")
LIMITS = AlertThresholds()
# What may stay Latin on the Chinese page, and why: registry ids (Z01-001, D1-B001: the
# labels painted on the kerb and the bins), and the SI unit symbols V and °C, which GB 3102
# writes the same in Chinese text.
ALLOWED_LATIN = re.compile(r"\b[A-Z]\d+(?:-[A-Z]?\d+)*\b|°C|\bV\b")
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
# A date in any writing (11-27, 27/11/2026, 27.11.2026); a decimal such as 3.1 V is not one.
DATE_LIKE = re.compile(r"\d+[-/]\d+(?:[-/]\d+)?|\d+\.\d+\.\d+")
TIME_PARAMS = ("since", "deadline", "full_at", "round_at")
# Fee quotes that need every kind of fee item: workday tiers, night flat price, non-workday
# tiers (Saturday 2026-11-28), and a one-tier tariff.
QUOTES = [
    ("Z01", "2026-11-27T18:00", "2026-11-28T09:00"),
    ("Z06", "2026-11-27T09:00", "2026-11-27T11:10"),
]


@dataclass(frozen=True)
class Desk:
    base: str
    key: str
    alerts: list[dict[str, Any]]  # as the API serves them


def _conditions(now: datetime) -> list[Condition]:
    """At least one condition of each kind, from the rules themselves."""
    recent = now - timedelta(minutes=5)
    quiet = now - timedelta(hours=3, minutes=20)

    def bin_(name: str, **v: Any) -> BinState:
        return BinState("D1", name, v.get("fill"), v.get("seen", recent), v.get("volts"),
                        v.get("temp"), v.get("tilted"))  # fmt: skip

    bins = [
        bin_("D1-B001", fill=97.0),
        bin_("D1-B002", fill=40.0, temp=75.5),
        bin_("D1-B003", fill=10.0, tilted=True),
        bin_("D1-B004", fill=20.0, volts=3.1),
        bin_("D1-B005", fill=20.0, seen=quiet),
    ]
    spaces = [
        SpaceState("Z01", "Z01-001", True, now - timedelta(hours=3), recent, 3.05),
        SpaceState("Z01", "Z01-002", False, quiet, quiet, 3.6),
    ]
    found = [
        *full_conditions(bins, LIMITS, now),
        *fire_conditions(bins, LIMITS, now),
        *tilted_conditions(bins, LIMITS, now),
        *low_battery_conditions(bins, spaces, LIMITS, now),
        *sensor_silent_conditions(bins, spaces, LIMITS, now),
    ]
    stay = Session("Z01", "Z01-003", now - timedelta(hours=3, minutes=7), None, recent, frozenset())
    found += overstay_conditions([stay], {"Z01": timedelta(hours=2)}, now)
    rising = [Level(now - timedelta(minutes=m), 70 - m / 3) for m in range(150, -1, -30)]
    found += overflow_soon_conditions(  # 20 %/h: full in 1.5 h, within the 2 h horizon
        [bin_("D1-B006", fill=70.0)], {"D1-B006": rising}, LIMITS, now, tz=CITY
    )
    verdict = BinClearance(True, False, False, None, now - timedelta(hours=6, minutes=12))
    deadline = now - timedelta(hours=1)
    found.append(
        Condition(
            AlertKind.NOT_CLEARED,
            Subject(Domain.SANITATION, "D2", "D2-B002"),
            not_cleared_detail(verdict, deadline, now, CITY),
            not_cleared_message(verdict, deadline, now),
        )
    )
    assert {c.kind for c in found} == set(AlertKind)  # every kind on screen
    return found


@pytest.fixture(scope="module")
def desk(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("language")
    records = f"sqlite:///{tmp / 'records.sqlite3'}"  # a store of its own, empty
    with county_database(base_settings, tmp) as (settings, influx):
        city = load_city(settings.city_file)
        now = datetime.now(UTC).replace(microsecond=0)
        conditions = _conditions(now)
        for c in conditions:  # the subjects are the demo county's
            assert city.space(c.subject.group, c.subject.device) or city.bin(
                c.subject.group, c.subject.device
            ), c.subject
        AlertStore(influx).save(reconcile([], conditions, frozenset(AlertKind), now))
        with api_server(
            settings, settings.city_file, tmp / "api.log", CURBSIDE_RECORDS_URL=records
        ) as api:
            answer = api.get("/api/v1/alerts", params={"status": "active"})
            assert answer.status_code == 200, answer.text
            key = api.headers["Authorization"].removeprefix("Bearer ")
            yield Desk(str(api.base_url).rstrip("/"), key, answer.json())


def _local(iso: str) -> str:
    """The city's wall-clock reading of an RFC 3339 time, as the page must write it."""
    return datetime.fromisoformat(iso).astimezone(CITY).strftime("%Y-%m-%d %H:%M")


def _open(page: Page, desk: Desk, language: str) -> None:
    sign_in(page, desk.base, desk.key)
    if language == "en":
        page.click("#lang")


def _cards(page: Page, desk: Desk) -> dict[str, str]:
    """Every alert card's text, by alert id, from both lists."""
    texts = {}
    for tab, box in (("#tab-sanitation", "#alerts"), ("#tab-parking", "#parking-alerts")):
        page.click(tab)
        cards = page.locator(f"{box} li.alert")
        wanted = sum(1 for a in desk.alerts if a["domain"] == tab.removeprefix("#tab-"))
        page.wait_for_function(f"document.querySelectorAll('{box} li.alert').length === {wanted}")
        for i in range(cards.count()):
            card = cards.nth(i)
            texts[card.get_attribute("data-alert") or ""] = card.inner_text()
    return texts


def _quotes(page: Page) -> list[str]:
    """The fee calculator's result (total, zone, tariff and breakdown) for each quote."""
    page.click("#tab-parking")
    shown = []
    for zone, entry, leave in QUOTES:
        result = ask_for_quote(page, zone, entry, leave)
        result.locator("tbody tr").first.wait_for()
        shown.append(result.inner_text())
    return shown


def _in_one_language(text: str, language: str) -> None:
    if language == "zh":
        latin = re.findall(r"[A-Za-z]+", ALLOWED_LATIN.sub("", text))
        assert latin == [], f"English on the Chinese page: {latin} in {text!r}"
    else:
        assert CJK.findall(text) == [], f"Chinese on the English page: {text!r}"
    for date in DATE_LIKE.findall(ALLOWED_LATIN.sub("", text)):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date), f"{date!r} is not YYYY-MM-DD: {text!r}"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_alerts_and_fees_are_shown_in_one_language_with_local_times(
    desk: Desk, page: Page, language: str
) -> None:
    _open(page, desk, language)
    cards = _cards(page, desk)
    assert set(cards) == {a["id"] for a in desk.alerts}
    assert {a["kind"] for a in desk.alerts} == set(AlertKind)
    for alert in desk.alerts:
        text = cards[alert["id"]]
        _in_one_language(text, language)
        assert _local(alert["opened_at"]) in text, (alert["kind"], text)
        params = alert["message"]["params"]
        for name in TIME_PARAMS:
            if name in params:
                assert _local(params[name]) in text, (alert["kind"], name, text)
    for shown in _quotes(page):
        _in_one_language(shown, language)
