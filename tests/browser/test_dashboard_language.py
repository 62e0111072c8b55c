"""The dashboard speaks one language at a time: with an alert of every kind and a fee
breakdown on screen, the Chinese page's alert cards and fee calculator hold no English, the
English page's no Chinese; dates are YYYY-MM-DD in both, and every time is the city's local
time (the browser runs in Europe/London, the city in Asia/Shanghai). So do the header's city
name, the sanitation worklist, the dispatch view's bins at risk and the cases view with every
step of cases taken through each kind of step.

The alerts come from the real rules, run on device states made to raise each kind, and stored
as the evaluator stores them; the cases are opened from those alerts and stepped by the
workflow's own functions, kept as the recorder keeps them; the API serves the demo county over
them, its trucks shrunk so that no truck can take a bin (every bin that must go is at risk)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.sync_api import Page

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.schema import to_line
from curbside.adapters.records.case_store import add_case, save_steps
from curbside.adapters.records.engine import record_engine, session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.city.registry import City, load_city
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
from curbside.domain.cases.workflow import Step, escalate, open_case, take_step, verify_by_data
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
from curbside.vocabulary.alerts import Alert, AlertKind, Condition, Domain, Subject
from curbside.vocabulary.cases import CaseEventKind
from curbside.vocabulary.readings import BinLevel
from tests.browser.chromium import ask_for_quote, sign_in
from tests.browser.conftest import county_database
from tests.e2e.town import api_server

pytestmark = pytest.mark.browser

CITY = ZoneInfo("Asia/Shanghai")
LIMITS = AlertThresholds()
# What may stay Latin on the Chinese page, and why: registry ids (Z01-001, D1-B001, TS1: the
# labels painted on the kerb and the bins), and the SI unit symbols V and °C, which GB 3102
# writes the same in Chinese text.
ALLOWED_LATIN = re.compile(r"\b[A-Z]{1,2}\d+(?:-[A-Z]?\d+)*\b|°C|\bV\b")
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
# A date in any writing (11-27, 27/11/2026, 27.11.2026); a decimal such as 3.1 V is not one.
DATE_LIKE = re.compile(r"\d+[-/]\d+(?:[-/]\d+)?|\d+\.\d+\.\d+")
TIME_PARAMS = ("since", "deadline", "full_at", "round_at")
# The person who takes the cases' steps: a name as typed, shown as is in both languages.
PERSON = "王五"
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


def _small_trucks(city_file: Path, tmp: Path) -> Path:
    """The demo county with trucks of 1 l bodies: no truck takes a bin, so every bin that
    must be cleared is at risk in the plan (too_big), whatever the hour."""
    city = yaml.safe_load(city_file.read_text(encoding="utf-8"))
    for truck in city["trucks"]:
        truck["body_l"] = 1
    out = tmp / "city.yaml"
    out.write_text(yaml.safe_dump(city, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _keep_cases(url: str, city: City, alerts: list[Alert], now: datetime) -> None:
    """Cases opened from the alerts, each taken through other steps: verified by the data,
    verified by a person through the platform, sent back for rework, escalated."""
    tz = ZoneInfo(city.timezone)
    engine = record_engine(url)
    upgrade(engine)
    opened = [s for a in alerts if (s := open_case(a, city.cases, city.workday_calendar, tz))]
    assert len(opened) >= 4

    def person(step: Step, kind: CaseEventKind, by: str = PERSON, to: str | None = None) -> Step:
        return take_step(step[0], kind, step[0].last_at + timedelta(minutes=5), by, to)

    def dispatched(step: Step, by: str = PERSON) -> list[Step]:
        sent = person(step, CaseEventKind.DISPATCHED, by, "T02")
        return [sent, person(sent, CaseEventKind.HANDLED, by)]

    with session_factory(engine)() as db, db.begin():
        for (case, event), story in zip(opened, range(len(opened)), strict=True):
            add_case(db, case, event, tz, now)
            first = (case, event)
            steps: list[Step] = []
            if story % 4 == 0:
                steps = dispatched(first)
                steps += verify_by_data(steps[-1][0], "data:collection", steps[-1][0].last_at)
            elif story % 4 == 1:
                steps = dispatched(first, f"{PERSON} via platform")
                steps.append(person(steps[-1], CaseEventKind.VERIFIED))
                steps.append(person(steps[-1], CaseEventKind.CLOSED))
            elif story % 4 == 2:
                steps = dispatched(first)
                steps.append(person(steps[-1], CaseEventKind.REWORK))
            elif (late := escalate(case, case.deadline + timedelta(minutes=1))) is not None:
                steps = [late]
            save_steps(db, case, steps, tz, now)
    engine.dispose()


@pytest.fixture(scope="module")
def desk(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("language")
    records = f"sqlite:///{tmp / 'records.sqlite3'}"  # a store of its own, empty
    with county_database(base_settings, tmp) as (settings, influx):
        city_file = _small_trucks(settings.city_file, tmp)
        city = load_city(city_file)
        now = datetime.now(UTC).replace(microsecond=0)
        conditions = _conditions(now)
        for c in conditions:  # the subjects are the demo county's
            assert city.space(c.subject.group, c.subject.device) or city.bin(
                c.subject.group, c.subject.device
            ), c.subject
        alerts = reconcile([], conditions, frozenset(AlertKind), now)
        AlertStore(influx).save(alerts)
        # The full and the burning bin's readings: the plan must clear them (urgent).
        seen = now - timedelta(minutes=5)
        influx.write(
            [
                to_line(BinLevel("D1", "D1-B001", fill_pct=97.0, ts=seen)),
                to_line(BinLevel("D1", "D1-B002", fill_pct=40.0, temp_c=75.5, ts=seen)),
            ]
        )
        _keep_cases(records, city, alerts, now)
        with api_server(settings, city_file, tmp / "api.log", CURBSIDE_RECORDS_URL=records) as api:
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
    text = text.replace(PERSON, "")  # a name, as typed
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


def _worklist(page: Page) -> str:
    page.click("#tab-sanitation")
    page.locator("#worklist tbody tr").first.wait_for()
    return page.inner_text("#worklist")


def _at_risk(page: Page) -> str:
    page.click("#tab-dispatch")
    page.locator("#dispatch-routes[data-as-of]").wait_for()  # the first request plans
    rows = page.locator("#dispatch-risk tbody tr")
    rows.first.wait_for()
    reasons = {
        rows.nth(i).locator("[data-reason]").get_attribute("data-reason")
        for i in range(rows.count())
    }
    assert reasons == {"too_big"}, reasons  # the 1 l trucks: every bin that must go
    return page.inner_text("#dispatch-risk")


def _cases_shown(page: Page) -> list[str]:
    """The cases list (every stage) and each case's steps."""
    page.click("#tab-cases")
    page.locator("#cases-list[data-count]").wait_for()
    page.select_option("#cases-stage", "all")
    page.locator("#cases-list[data-count] tbody tr").first.wait_for()
    shown = [page.inner_text("#cases-filters"), page.inner_text("#cases-list")]
    rows = page.locator("#cases-list tbody tr")
    for i in range(rows.count()):
        case_id = rows.nth(i).get_attribute("data-case")
        rows.nth(i).locator("button.steps").click()
        page.locator(f'#cases-steps[data-case="{case_id}"] tbody tr').first.wait_for()
        shown.append(page.inner_text("#cases-steps"))
    return shown


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_worklist_plan_cases_and_city_are_shown_in_one_language(
    desk: Desk, page: Page, language: str
) -> None:
    _open(page, desk, language)
    header = page.locator("#city-name")
    header.wait_for()
    _in_one_language(header.inner_text(), language)
    _in_one_language(_worklist(page), language)
    _in_one_language(_at_risk(page), language)
    steps = _cases_shown(page)
    assert len(steps) >= 6  # filters, list, and the steps of every case
    for shown in steps:
        _in_one_language(shown, language)
    # Every kind of step was on screen: by the data, through the platform, rework, escalation.
    said = "\n".join(steps)
    for word in (("系统", "城管平台", "退回重办", "主管") if language == "zh" else
                 ("by the data", "the platform", "back to the crew", "supervisor")):  # fmt: skip
        assert word in said, (word, said)
