"""What the fee-collection routes share, made with the app: the channels' keys, the signature
window, the driver lookup's rate limits and the counters of what was accepted and refused."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from prometheus_client import CollectorRegistry, Counter

from curbside.adapters.access.ratelimit import RateLimiter
from curbside.adapters.payments.channel_keys import load_channel_keys
from curbside.config.settings import Settings

CITY = "city"


@dataclass(slots=True)
class PaymentDesk:
    """One per app (so one per test)."""

    keys: dict[str, bytes]
    window_s: int
    overdue_after_days: int
    arrears_threshold_fen: int
    per_address: RateLimiter
    city_wide: RateLimiter
    notifications: Counter
    lookups: Counter
    plate_events: Counter
    clock: Callable[[], float] = field(default=time.monotonic)

    @classmethod
    def from_settings(cls, settings: Settings, registry: CollectorRegistry) -> PaymentDesk:
        """Keys read (and checked) now: a bad channels file stops the API at start-up."""
        p = settings.payments
        return cls(
            keys=load_channel_keys(p.channels_file),
            window_s=p.window_s,
            overdue_after_days=p.overdue_after_days,
            arrears_threshold_fen=p.arrears_threshold_fen,
            per_address=RateLimiter(p.lookup_rate_per_s, p.lookup_burst),
            city_wide=RateLimiter(
                p.lookup_city_rate_per_s, max(1, math.ceil(p.lookup_city_rate_per_s))
            ),
            notifications=Counter(
                "curbside_api_payment_notifications",
                "Payment notifications by outcome: accepted, duplicate, or the refusal's reason",
                ["outcome"],
                registry=registry,
            ),
            lookups=Counter(
                "curbside_api_plate_lookups",
                "Driver plate lookups by outcome: answered, bad_plate, rate_limited",
                ["outcome"],
                registry=registry,
            ),
            plate_events=Counter(
                "curbside_api_plate_bindings",
                "Plate events through the API by outcome: new, same, correction, or the refusal",
                ["outcome"],
                registry=registry,
            ),
        )

    def admit_lookup(self, address: str) -> None:
        """429 past the per-address or the city-wide lookup rate."""
        now = self.clock()
        for limiter, caller in ((self.per_address, address), (self.city_wide, CITY)):
            wait_s = limiter.take(caller, now)
            if wait_s > 0:
                self.lookups.labels("rate_limited").inc()
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    "too many plate lookups: try again later",
                    headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
                )


async def get_payment_desk(request: Request) -> PaymentDesk:
    """The desk the app was created with."""
    desk = request.app.state.payments
    if not isinstance(desk, PaymentDesk):
        raise RuntimeError("no payment desk in the app state")
    return desk


PaymentDeskDep = Annotated[PaymentDesk, Depends(get_payment_desk)]
