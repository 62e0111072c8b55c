"""A simulated day of fee collection end to end, on SQLite and PostgreSQL.

Sensors report a day of true stays through the real broker; a handheld binds plates over MQTT
(at once, late, never, wrong then corrected); a real recorder records stays, charges and
bindings; drivers look their plates up through the API and pay through the signed
notification endpoint (at once, late, never, twice). The period report's billed, collected and
outstanding per zone equal the simulator's truth (simulators/collection.py) to the fen.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import get_records
from curbside.adapters.records.engine import session_factory
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from curbside.domain.parking.fees import compute_fee
from curbside.readmodels.reports.parking import parking_report
from simulators.collection import Payer, Paying, PlateTiming, Stay, plan, plate_messages, truth
from tests.records.recorder_process import hourly_tariff, recording
from tests.support import mqtt_client, wait_for

pytestmark = [pytest.mark.records, pytest.mark.e2e]

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET = "simulated-channel-secret-0123456789ab"
ZONES = ("CA", "CB")
SPACES = 4


def write_city(path: Path, suffix: str) -> Path:
    city = {
        "tariffs": {"hourly": hourly_tariff(150)},
        "parking_zones": [
            {
                "id": f"{zone}{suffix}",
                "name": "collection test",
                "tariff": "hourly",
                "spaces": [
                    {"id": f"{zone}{suffix}-{n}", "lat": 0, "lon": 0} for n in range(SPACES)
                ],
            }
            for zone in ZONES
        ],
    }
    path.write_text(yaml.safe_dump(city), encoding="utf-8")
    return path


def day_of_stays(
    zones: list[str], day: datetime, rng: random.Random
) -> list[tuple[str, str, datetime, datetime]]:
    """Stays of 20-150 minutes with gaps of 10-40 minutes, 08:00 to 20:00 local, per space."""
    stays = []
    for zone in zones:
        for n in range(SPACES):
            t = day.replace(hour=8) + timedelta(minutes=rng.randrange(0, 30))
            while True:
                end = t + timedelta(minutes=rng.randrange(20, 150))
                if end > day.replace(hour=20):
                    break
                stays.append((zone, f"{zone}-{n}", t, end))
                t = end + timedelta(minutes=rng.randrange(10, 40))
    return stays


def reports(
    zones: list[str], stays: list[tuple[str, str, datetime, datetime]], day: datetime
) -> list[tuple[datetime, str, bytes]]:
    """Each space reports every 10 minutes and at every change, 07:30 to 20:30 local."""
    out = []
    for zone in zones:
        for n in range(SPACES):
            own = [(s, e) for z, sp, s, e in stays if z == zone and sp == f"{zone}-{n}"]
            times = {s for s, _ in own} | {e for _, e in own}
            t = day.replace(hour=7, minute=30)
            while t <= day.replace(hour=20, minute=30):
                times.add(t)
                t += timedelta(minutes=10)
            for t in sorted(times):
                occupied = any(s <= t < e for s, e in own)
                payload = json.dumps({"occupied": occupied, "ts": t.astimezone(UTC).isoformat()})
                out.append((t, f"parking/{zone}/{zone}-{n}/status", payload.encode()))
    return out


def test_a_simulated_day_collects_to_the_fen(
    settings: Settings, records_url: str, tmp_path: Path, unique: str
) -> None:
    city_file = write_city(tmp_path / "city.yaml", unique[:6].upper())
    city = load_city(city_file)
    zones = [z.id for z in city.parking_zones]
    day = datetime.combine(datetime.now(SHANGHAI).date() - timedelta(days=1), time(0), SHANGHAI)
    rng = random.Random(18)
    tariff = city.tariffs["hourly"]
    stays = [
        Stay(
            z,
            s,
            start,
            end,
            compute_fee(tariff, start, end, city.workday_calendar, city.tz).total_fen,
        )
        for z, s, start, end in day_of_stays(zones, day, rng)
    ]
    plans = plan(stays, seed=18)
    # every behaviour is exercised
    assert {p.timing for p in plans} == set(PlateTiming) and {p.paying for p in plans} == set(
        Paying
    )
    messages = sorted(
        [
            *reports(zones, [(s.zone, s.space, s.start, s.end) for s in stays], day),
            *plate_messages(plans, "pda-sim"),
        ],
        key=lambda m: m[0],
    )
    with recording(settings, records_url, city_file, f"recorder-{unique}") as recorder:
        client = mqtt_client(settings)
        try:
            for _, topic, payload in messages:
                client.publish(topic, payload, qos=1).wait_for_publish(10)
        finally:
            client.disconnect()
            client.loop_stop()
        wait_for(
            lambda: recorder.recorded_messages >= len(messages),
            120,
            f"the recorder to record {len(messages)} messages",
            interval_s=0.5,
        )
        channels = tmp_path / "channels.json"
        channels.write_text(json.dumps({"sim": SECRET}))
        app = create_app(
            settings.replace(
                api_keys_file=tmp_path / "keys.json",
                payments_channels_file=channels,
                payments_lookup_burst=10_000,
                payments_lookup_rate_per_s=1000,
                payments_lookup_city_rate_per_s=1000,
            ),
            city,
        )
        app.dependency_overrides[get_records] = lambda: session_factory(recorder.engine)
        payer = Payer(TestClient(app), "sim", SECRET.encode())
        payer.pay_all(plans)
        with Session(recorder.engine) as db:
            rows = parking_report(
                db, city, day.date(), day.date() + timedelta(days=1), group="zone", period="all"
            )
    expected = truth(plans)
    got = {r.group: (r.billed_fen, r.collected_fen, r.outstanding_fen) for r in rows}
    assert got == {
        zone: (t.billed_fen, t.collected_fen, t.outstanding_fen) for zone, t in expected.items()
    }
    twice = sum(1 for p in plans if p.pays and p.paying is Paying.TWICE)
    assert payer.outcomes.get("duplicate", 0) == payer.outcomes.get("over_payment", 0) >= twice > 0
    assert sum(t.collected_fen for t in expected.values()) > 0
    assert sum(t.outstanding_fen for t in expected.values()) > 0
