"""Attendants and drivers for fee collection, with the ground truth of what they did.

Each stay gets a car's plate, bound at once, late (after the car left, still naming a time in
the stay), never, or wrong then corrected; and its driver pays at once, late (the next day),
never, or twice (the channel re-sends the payment, and the driver pays a second time). A stay
whose plate was never bound cannot be found by its driver and stays unpaid. The truth per zone:
billed (the fee engine's price of each stay), collected (what the paying drivers paid, once)
and outstanding (the rest), to the fen.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from curbside.domain.collection.notifications import signature
from curbside.domain.collection.plates import PROVINCES, parse_plate
from curbside.vocabulary.topics import plate_topic

SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
OFFICES = "ABCDEFGHJKLMN"
NOTIFICATIONS = "/api/v1/payments/notifications"
LOOKUP = "/api/v1/driver/charges"


class PlateTiming(StrEnum):
    """When the stay's plate is bound."""

    AT_ONCE = "at_once"
    LATE = "late"
    NEVER = "never"
    WRONG_THEN_CORRECTED = "wrong_then_corrected"


class Paying(StrEnum):
    """How the driver pays."""

    AT_ONCE = "at_once"
    LATE = "late"
    NEVER = "never"
    TWICE = "twice"


TIMING_SHARES = {
    PlateTiming.AT_ONCE: 0.6,
    PlateTiming.LATE: 0.2,
    PlateTiming.NEVER: 0.1,
    PlateTiming.WRONG_THEN_CORRECTED: 0.1,
}
PAYING_SHARES = {Paying.AT_ONCE: 0.6, Paying.LATE: 0.2, Paying.NEVER: 0.12, Paying.TWICE: 0.08}


@dataclass(frozen=True, slots=True)
class Stay:
    """A true stay and the fee engine's price for it."""

    zone: str
    space: str
    start: datetime
    end: datetime
    fee_fen: int


@dataclass(frozen=True, slots=True)
class StayPlan:
    """What the attendant and the driver do about one stay."""

    stay: Stay
    plate: str
    colour: str
    timing: PlateTiming
    paying: Paying
    wrong_plate: str | None = None

    @property
    def pays(self) -> bool:
        """Whether money for this stay is collected (the driver finds it by plate and pays)."""
        return self.timing is not PlateTiming.NEVER and self.paying is not Paying.NEVER


def random_plate(rng: random.Random) -> tuple[str, str]:
    """A valid plate (GA 36-2018): mostly ordinary blue, a fifth small new-energy green."""
    province, office = rng.choice(sorted(PROVINCES)), rng.choice(OFFICES)
    if rng.random() < 0.2:
        serial = rng.choice("DF") + rng.choice(SERIAL) + f"{rng.randrange(10_000):04d}"
        number, colour = province + office + serial, "green"
    else:
        number, colour = province + office + "".join(rng.choices(SERIAL, k=5)), "blue"
    return parse_plate(number, colour).number, colour


def _misread(number: str) -> str:
    """The plate with its last character read wrong (a digit for a digit, a letter for 8)."""
    last = number[-1]
    wrong = str((int(last) + 3) % 10) if last.isdigit() else "8"
    return number[:-1] + wrong


def plan(stays: Sequence[Stay], seed: int) -> list[StayPlan]:
    """A plan for each stay, seeded; every stay has a different car (no plate twice)."""
    rng = random.Random(seed)
    used: set[str] = set()
    plans = []
    for stay in stays:
        number, colour = random_plate(rng)
        while number in used or _misread(number) in used:
            number, colour = random_plate(rng)
        used.update((number, _misread(number)))
        timing = rng.choices(list(TIMING_SHARES), list(TIMING_SHARES.values()))[0]
        paying = rng.choices(list(PAYING_SHARES), list(PAYING_SHARES.values()))[0]
        wrong = _misread(number) if timing is PlateTiming.WRONG_THEN_CORRECTED else None
        plans.append(StayPlan(stay, number, colour, timing, paying, wrong))
    return plans


@dataclass(slots=True)
class ZoneTruth:
    """What a zone really billed, collected and is still owed, in fen."""

    billed_fen: int = 0
    collected_fen: int = 0

    @property
    def outstanding_fen(self) -> int:
        """Billed and not collected."""
        return self.billed_fen - self.collected_fen


def truth(plans: Iterable[StayPlan]) -> dict[str, ZoneTruth]:
    """The ground truth per zone."""
    zones: dict[str, ZoneTruth] = {}
    for p in plans:
        zone = zones.setdefault(p.stay.zone, ZoneTruth())
        zone.billed_fen += p.stay.fee_fen
        if p.pays:
            zone.collected_fen += p.stay.fee_fen
    return zones


def _plate_payload(number: str, colour: str, seen: datetime, reason: str | None = None) -> bytes:
    body: dict[str, Any] = {
        "plate": number,
        "colour": colour,
        "observed_at": seen.isoformat(),
        "source": "pda",
    }
    if reason is not None:
        body["reason"] = reason
    return json.dumps(body, ensure_ascii=False).encode()


def plate_messages(plans: Iterable[StayPlan], account: str) -> list[tuple[datetime, str, bytes]]:
    """The handheld's messages (when, in stream time, they are sent; topic; payload)."""
    out = []
    for p in plans:
        s = p.stay
        topic = plate_topic(account, s.zone, s.space)
        seen = s.start + timedelta(minutes=1)
        if p.timing is PlateTiming.AT_ONCE:
            out.append((seen, topic, _plate_payload(p.plate, p.colour, seen)))
        elif p.timing is PlateTiming.LATE:  # sent after the car left, naming a time in the stay
            out.append(
                (s.end + timedelta(minutes=5), topic, _plate_payload(p.plate, p.colour, seen))
            )
        elif p.timing is PlateTiming.WRONG_THEN_CORRECTED:
            assert p.wrong_plate is not None
            out.append((seen, topic, _plate_payload(p.wrong_plate, p.colour, seen)))
            fixed = _plate_payload(p.plate, p.colour, seen, reason="attendant re-read the plate")
            out.append((s.end + timedelta(minutes=5), topic, fixed))
    return sorted(out, key=lambda m: m[0])


class Http(Protocol):
    """What the payer needs of an HTTP client (httpx.Client, FastAPI's TestClient)."""

    def get(self, url: str, *, params: dict[str, str]) -> Any: ...

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Any: ...


@dataclass
class Payer:
    """Drivers paying by phone: look their plate up, pay what it owes through the channel."""

    http: Http
    channel: str
    secret: bytes
    outcomes: dict[str, int] = field(default_factory=dict)

    def pay_all(self, plans: Iterable[StayPlan]) -> None:
        """At-once payers first, then the late ones (on the next day)."""
        ordered = sorted(plans, key=lambda p: p.paying is Paying.LATE)
        for p in ordered:
            if p.pays:
                self._pay(p)

    def _pay(self, p: StayPlan) -> None:
        answer = self.http.get(LOOKUP, params={"plate": p.plate, "colour": p.colour}).json()
        paid_at = p.stay.end + timedelta(days=1 if p.paying is Paying.LATE else 0, minutes=10)
        for charge in answer["charges"]:
            body = {
                "txn_id": f"sim-{charge['charge_id']}",
                "type": "payment",
                "charge_id": charge["charge_id"],
                "amount_fen": charge["owed_fen"],
                "occurred_at": paid_at.isoformat(),
            }
            self._notify(body)
            if p.paying is Paying.TWICE:
                time.sleep(1.01)  # the channel's retry is signed anew, a second later
                self._notify(body)  # the channel re-sends: a duplicate
                self._notify({**body, "txn_id": f"sim-{charge['charge_id']}-again"})  # paid twice

    def _notify(self, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        now = int(time.time())
        answer = self.http.post(
            NOTIFICATIONS,
            content=raw,
            headers={
                "X-Curbside-Channel": self.channel,
                "X-Curbside-Timestamp": str(now),
                "X-Curbside-Signature": signature(self.secret, now, raw),
                "Content-Type": "application/json",
            },
        )
        reply = answer.json()
        outcome = reply.get("status") or reply.get("reason") or str(answer.status_code)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
