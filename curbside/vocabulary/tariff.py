"""Tariff configuration: grace, time bands, tiers, partial units, caps (validated models).

A tariff is data in the city registry (``tariffs:``), one per zone class, so a city can
publish a new price list without a code change. The rules that turn a tariff and a stay into
a fee are in :mod:`curbside.domain.parking.fees` and are documented with worked examples in
``docs/fees.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from curbside.vocabulary.names import Named

MINUTES_PER_DAY = 24 * 60
MAX_FEN = 100_000_000  # ¥1,000,000: far above any kerb price, small enough for exact int64 sums

BandName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]
CapWindow = Literal["24h-from-entry", "calendar-day", "charging-day"]
PartialRule = Literal["round-up", "drop", "threshold"]
TierClock = Literal["restart", "continue"]
BandDays = Literal["every-day", "workdays", "rest-days"]


def _clock_time(value: object) -> object:
    # YAML 1.1 reads an unquoted 07:30 as the base-60 integer 450, which pydantic would take
    # as 450 seconds after midnight: refuse anything but text so that typo cannot pass.
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError(
            f"write the time as a quoted 'HH:MM' string, not {value!r} "
            "(YAML reads an unquoted 20:00 as the number 1200)"
        )
    return value


ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grace(_Strict):
    """A free period at the start of every stay."""

    minutes: int = Field(ge=1, le=MINUTES_PER_DAY)
    charged_when_exceeded: bool = Field(
        description="a stay longer than the grace period pays for the grace minutes too"
    )


class Tier(_Strict):
    """A price step: ``unit_fen`` per ``unit_minutes`` until the band clock is at ``up_to``."""

    # A week at most: the bulk engine tabulates the tiers second by second.
    up_to_minutes: int | None = Field(default=None, gt=0, le=7 * MINUTES_PER_DAY)
    unit_minutes: int = Field(gt=0, le=MINUTES_PER_DAY)
    unit_fen: Fen


class FreePrice(_Strict):
    """No charge: free hours inside a band (e.g. non-workdays)."""

    kind: Literal["free"]


class FlatPrice(_Strict):
    """One price for any time parked in a band occurrence (e.g. night ¥6 per stay)."""

    kind: Literal["flat"]
    fen: Fen


class TieredPrice(_Strict):
    """Units of time priced by how long the car has been in the band (its tier clock)."""

    kind: Literal["tiered"]
    tiers: list[Tier] = Field(min_length=1, max_length=16)
    partial: PartialRule
    free_under_minutes: int | None = Field(
        default=None, gt=0, description="threshold: a shorter partial unit is free"
    )

    @model_validator(mode="after")
    def _check_tiers(self) -> Self:
        previous = 0
        for number, tier in enumerate(self.tiers, start=1):
            last = number == len(self.tiers)
            if tier.up_to_minutes is None:
                if not last:
                    raise ValueError(f"tier {number}: only the last tier may omit up_to_minutes")
                continue
            if last:
                raise ValueError(f"tier {number}: the last tier is open-ended, drop up_to_minutes")
            if tier.up_to_minutes <= previous:
                raise ValueError(
                    f"tier {number}: up_to_minutes {tier.up_to_minutes} must be above {previous}"
                )
            if (tier.up_to_minutes - previous) % tier.unit_minutes:
                # Whole units per tier keep partial units to the end of a stay's part.
                raise ValueError(
                    f"tier {number}: {previous}-{tier.up_to_minutes} min is not a whole number "
                    f"of {tier.unit_minutes}-min units"
                )
            previous = tier.up_to_minutes
        if self.partial == "threshold":
            smallest = min(t.unit_minutes for t in self.tiers)
            if self.free_under_minutes is None or self.free_under_minutes >= smallest:
                raise ValueError(
                    "partial threshold needs free_under_minutes, below every tier's "
                    f"unit_minutes ({smallest})"
                )
        elif self.free_under_minutes is not None:
            raise ValueError(
                f"free_under_minutes only applies to partial: threshold, not {self.partial}"
            )
        return self

    def tier_starts(self) -> tuple[int, ...]:
        """Each tier's start on the band clock, in minutes."""
        starts = [0]
        starts.extend(t.up_to_minutes for t in self.tiers[:-1] if t.up_to_minutes is not None)
        return tuple(starts)


Price = Annotated[FreePrice | FlatPrice | TieredPrice, Field(discriminator="kind")]


class Band(_Strict):
    """A daily time band: from ``start`` to ``end`` local time, crossing midnight if end <= start.

    ``start == end`` is a band of the whole day. ``non_workday_price`` (default: ``price``)
    applies to the occurrences that start on a non-workday. ``days`` limits the band to
    workdays or to rest days, so that its hours can differ (a band that starts later at the
    weekend is two bands); such a band must end by midnight, so bands of the two kinds of day
    never meet.
    """

    name: BandName
    title: Named | None = Field(None, description="the band's name for people; else its name")
    start: ClockTime
    end: ClockTime
    tier_clock: TierClock = "restart"
    price: Price
    non_workday_price: Price | None = None
    days: BandDays = "every-day"

    @model_validator(mode="after")
    def _whole_minutes(self) -> Self:
        for field, value in (("start", self.start), ("end", self.end)):
            if value.second or value.microsecond or value.tzinfo is not None:
                raise ValueError(f"{field}: band times are local HH:MM, got {value.isoformat()}")
        if self.days != "every-day":
            if self.start_minute + self.length_minutes > MINUTES_PER_DAY:
                raise ValueError(
                    f"band {self.name!r} applies on {self.days} only, so it must end by midnight"
                )
            if self.non_workday_price is not None:
                raise ValueError(
                    f"band {self.name!r} applies on {self.days} only: give it one price"
                )
        return self

    def applies_on(self, workday: bool) -> bool:
        """Whether the band has an occurrence on a workday (True) or a rest day (False)."""
        if self.days == "every-day":
            return True
        return workday == (self.days == "workdays")

    @property
    def start_minute(self) -> int:
        """Minutes after local midnight at which each occurrence starts."""
        return self.start.hour * 60 + self.start.minute

    @property
    def length_minutes(self) -> int:
        """How long each occurrence lasts in local clock minutes (1 to 1440)."""
        end = self.end.hour * 60 + self.end.minute
        return (end - self.start_minute) % MINUTES_PER_DAY or MINUTES_PER_DAY

    def price_on(self, workday: bool) -> FreePrice | FlatPrice | TieredPrice:
        """The price of an occurrence that starts on a workday or a non-workday."""
        if workday or self.non_workday_price is None:
            return self.price
        return self.non_workday_price


class Cap(_Strict):
    """At most ``fen`` per window: 24 h from entry, the local calendar day, or the charging day."""

    fen: int = Field(gt=0, le=MAX_FEN)
    window: CapWindow


class Tariff(_Strict):
    """One zone class's price list. Time outside every band is free."""

    name: Named | None = None
    grace: Grace | None = None
    bands: list[Band] = Field(min_length=1, max_length=24)
    cap: Cap | None = None

    @model_validator(mode="after")
    def _check_bands(self) -> Self:
        names = [b.name for b in self.bands]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"band name {name!r} appears more than once")
        for i, first in enumerate(self.bands):
            for second in self.bands[i + 1 :]:
                if _overlap(first, second):
                    raise ValueError(
                        f"bands {first.name!r} and {second.name!r} overlap: "
                        f"{_span(first)} and {_span(second)}"
                    )
        return self

    def bands_by_start(self) -> tuple[Band, ...]:
        """The bands in the order their occurrences start within a local day."""
        return tuple(sorted(self.bands, key=lambda b: b.start_minute))


def _span(band: Band) -> str:
    return f"{band.start.strftime('%H:%M')}-{band.end.strftime('%H:%M')}"


def _overlap(a: Band, b: Band) -> bool:
    # Bands for the two kinds of day end by midnight: they never run at the same time.
    if {a.days, b.days} == {"workdays", "rest-days"}:
        return False
    # On the 24-hour circle: compare a with b shifted a day either way.
    a0, a1 = a.start_minute, a.start_minute + a.length_minutes
    for shift in (-MINUTES_PER_DAY, 0, MINUTES_PER_DAY):
        b0 = b.start_minute + shift
        if a0 < b0 + b.length_minutes and b0 < a1:
            return True
    return False


class DatedTariff(Tariff):
    """A later version of a tariff: in force for stays that begin on or after ``effective_from``
    (a local date), until the next version's date."""

    effective_from: date


@dataclass(frozen=True, slots=True)
class TariffInForce:
    """The version of a tariff that prices a stay: ``version`` is its effective date, or None
    for the tariff as first written in the registry."""

    tariff_id: str
    version: date | None
    tariff: Tariff


def version_in_force(
    tariff_id: str, base: Tariff, versions: Sequence[DatedTariff], day: date
) -> TariffInForce:
    """The version in force on the local date ``day``: the latest whose date has come."""
    chosen: TariffInForce = TariffInForce(tariff_id, None, base)
    for version in sorted(versions, key=lambda v: v.effective_from):
        if version.effective_from <= day:
            chosen = TariffInForce(tariff_id, version.effective_from, version)
    return chosen
