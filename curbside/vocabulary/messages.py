"""What Curbside says to people, as codes with parameters: one catalogue, two languages.

Alert details, fee breakdown items and case steps travel as a :class:`Message` (a code from
:data:`CATALOGUE` and its parameters), never as finished sentences, so the dashboard (and an
integrator) renders them in Chinese or English, with times in the city's local time. Each code
names its parameters and their kind: a ``time`` is RFC 3339 UTC (shown in the city's zone), a
``duration_s`` whole seconds, ``fen`` integer money, a ``number`` as measured, an ``id`` a
registry id shown as is, and a :class:`Choice` one of a few words with their own text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

ParamKind = Literal["time", "duration_s", "fen", "number", "minutes", "id"]
Param = str | int | float


@dataclass(frozen=True, slots=True)
class Choice:
    """A parameter that is one of a few values, each with its own text (may be empty)."""

    texts: Mapping[str, tuple[str, str]]  # value -> (zh, en)


@dataclass(frozen=True, slots=True)
class Phrase:
    """One code's parameters and its text in both languages, ``{name}`` placeholders."""

    params: Mapping[str, ParamKind | Choice]
    zh: str
    en: str


_WORKDAY = Choice({"workday": ("", ""), "non_workday": ("（非工作日）", " (non-workday)")})
_TIER: dict[str, ParamKind | Choice] = {
    "units": "number",
    "unit_minutes": "minutes",
    "unit_fen": "fen",
    "day": _WORKDAY,
}
_BASIS = Choice(
    {
        "person": ("人工核查", "checked by a person"),
        "data:collection": ("数据核查：已清运", "verified by the data: collected"),
        "data:vacated": ("数据核查：车辆已离开", "verified by the data: the car left"),
        "data:reading": ("数据核查：传感器恢复上报", "verified by the data: the sensor reported"),
    }
)
_DEADLINE = Choice({"urgent": ("紧急", "urgent "), "due": ("", "")})

CATALOGUE: Mapping[str, Phrase] = {
    "bin.full": Phrase(
        {"fill_pct": "number", "limit_pct": "number"},
        zh="满溢度 {fill_pct}% ≥ {limit_pct}%",
        en="fill {fill_pct} % ≥ {limit_pct} %",
    ),
    "bin.fire": Phrase(
        {"temp_c": "number", "limit_c": "number"},
        zh="温度 {temp_c} °C ≥ {limit_c} °C",
        en="temperature {temp_c} °C ≥ {limit_c} °C",
    ),
    "bin.tilted": Phrase({}, zh="垃圾桶报告已倾倒", en="the bin reports it is tilted"),
    "device.low_battery": Phrase(
        {"volts": "number", "limit_v": "number"},
        zh="电池电压 {volts} V ≤ {limit_v} V",
        en="battery {volts} V ≤ {limit_v} V",
    ),
    "device.silent": Phrase(
        {"since": "time", "silent_s": "duration_s", "limit_s": "duration_s"},
        zh="自 {since} 起 {silent_s} 无消息，上限 {limit_s}",
        en="no message for {silent_s} since {since}, limit {limit_s}",
    ),
    "space.overstay": Phrase(
        {"since": "time", "parked_s": "duration_s", "limit_s": "duration_s"},
        zh="自 {since} 起已停放 {parked_s}，本路段上限 {limit_s}",
        en="parked {parked_s} since {since}, zone maximum {limit_s}",
    ),
    "bin.overflow_soon.no_round": Phrase(
        {"full_at": "time", "horizon_s": "duration_s"},
        zh="预计 {full_at} 装满，在 {horizon_s} 内，未安排清运",
        en="predicted full at {full_at}, within {horizon_s}, no round planned",
    ),
    "bin.overflow_soon.before_round": Phrase(
        {"full_at": "time", "round_at": "time"},
        zh="预计 {full_at} 装满，早于下次清运 {round_at}",
        en="predicted full at {full_at}, before the next round at {round_at}",
    ),
    "bin.overflow_soon.within_horizon": Phrase(
        {"full_at": "time", "horizon_s": "duration_s", "round_at": "time"},
        zh="预计 {full_at} 装满，在 {horizon_s} 内（下次清运 {round_at}）",
        en="predicted full at {full_at}, within {horizon_s} (next round at {round_at})",
    ),
    "bin.not_cleared.pending": Phrase(
        {"since": "time", "deadline": "time"},
        zh="自 {since} 起有垃圾，截止时间 {deadline}",
        en="rubbish since {since}, deadline {deadline}",
    ),
    "bin.not_cleared.missed": Phrase(
        {"since": "time", "deadline": "time"},
        zh="自 {since} 起有垃圾，截止 {deadline} 未清运",
        en="rubbish since {since}, not cleared by the {deadline} deadline",
    ),
    "bin.not_cleared.no_start": Phrase(
        {"deadline": "time"}, zh="有垃圾，截止时间 {deadline}", en="rubbish, deadline {deadline}"
    ),
    "plan.no_truck_on_shift": Phrase({}, zh="没有在班的车辆", en="no truck on shift"),
    "plan.too_big": Phrase(
        {"load_l": "number", "largest_l": "number"},
        zh="{load_l} 升超过最大车辆的容量（{largest_l} 升）",
        en="{load_l} l is more than the largest truck takes ({largest_l} l)",
    ),
    "plan.unreachable": Phrase(
        {},
        zh="没有车辆能到达并在班次结束前返回",
        en="no truck could reach it and be home before its shift ends",
    ),
    "plan.too_late": Phrase(
        {"earliest": "time", "latest": "time", "deadline": _DEADLINE},
        zh="最早 {earliest} 到达，晚于其{deadline}最晚到达时间 {latest}",
        en="earliest arrival {earliest} is after its latest {deadline}time {latest}",
    ),
    "plan.fleet_full": Phrase(
        {},
        zh="车辆的班次、容量和其他截止时间已容不下它",
        en="the trucks' shifts, capacity and the other deadlines leave no room for it",
    ),
    "plan.skipped_optional": Phrase(
        {"penalty_m": "number"},
        zh="可选：绕行代价超过其不清运代价（{penalty_m} 米）",
        en="optional: the detour costs more than its skip penalty ({penalty_m} m)",
    ),
    "fee.flat": Phrase(
        {"units": "number", "unit_fen": "fen", "day": _WORKDAY},
        zh="按次：{units} × {unit_fen}{day}",
        en="per stay: {units} × {unit_fen}{day}",
    ),
    "fee.tier.only": Phrase(
        _TIER,
        zh="停放时长：{units} × {unit_minutes}，每单位 {unit_fen}{day}",
        en="time parked: {units} × {unit_minutes} at {unit_fen}{day}",
    ),
    "fee.tier.first": Phrase(
        {"up_to_min": "minutes", **_TIER},
        zh="首 {up_to_min}：{units} × {unit_minutes}，每单位 {unit_fen}{day}",
        en="first {up_to_min}: {units} × {unit_minutes} at {unit_fen}{day}",
    ),
    "fee.tier.between": Phrase(
        {"from_min": "minutes", "up_to_min": "minutes", **_TIER},
        zh="{from_min} 至 {up_to_min}：{units} × {unit_minutes}，每单位 {unit_fen}{day}",
        en="{from_min} to {up_to_min}: {units} × {unit_minutes} at {unit_fen}{day}",
    ),
    "fee.tier.after": Phrase(
        {"from_min": "minutes", **_TIER},
        zh="{from_min}以后：{units} × {unit_minutes}，每单位 {unit_fen}{day}",
        en="after {from_min}: {units} × {unit_minutes} at {unit_fen}{day}",
    ),
    "case.opened": Phrase({}, zh="立案", en="registered"),
    "case.dispatched": Phrase(
        {"assignee": "id"}, zh="派遣给 {assignee}", en="dispatched to {assignee}"
    ),
    "case.handled": Phrase({}, zh="已处置", en="handled"),
    "case.verified": Phrase({"basis": _BASIS}, zh="核查通过（{basis}）", en="verified ({basis})"),
    "case.rework": Phrase(
        {}, zh="核查不通过，退回重办", en="verification failed: back to the crew"
    ),
    "case.closed": Phrase({}, zh="结案", en="closed"),
    "case.escalated": Phrase(
        {"role": Choice({"supervisor": ("主管", "supervisor")})},
        zh="超过时限，已上报{role}",
        en="over its time limit: escalated to the {role}",
    ),
}
"""Every code Curbside emits; ``tests/unit/test_messages.py`` checks the texts and that the code
uses no other."""


@dataclass(frozen=True, slots=True)
class Message:
    """A code from :data:`CATALOGUE` with its parameters, checked when made."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:
        phrase = CATALOGUE.get(self.code)
        if phrase is None:
            raise ValueError(f"message code {self.code!r} is not in the catalogue")
        if set(self.params) != set(phrase.params):
            raise ValueError(
                f"message {self.code!r} takes {sorted(phrase.params)}, got {sorted(self.params)}"
            )
        for name, kind in phrase.params.items():
            value = self.params[name]
            if isinstance(kind, Choice) and value not in kind.texts:
                raise ValueError(f"message {self.code!r}: {name}={value!r} is not a choice")

    def __hash__(self) -> int:  # alerts are hashed; a dict of params is not hashable itself
        return hash((self.code, tuple(sorted(self.params.items()))))

    def document(self) -> dict[str, Any]:
        """``{"code": "bin.full", "params": {...}}``, as the API and MQTT carry it."""
        return {"code": self.code, "params": dict(self.params)}


def message_from_document(document: object) -> Message | None:
    """The message a document describes; None for null (a record made before codes existed).

    Raises ValueError (or KeyError, TypeError) for anything else."""
    if document is None:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("params"), dict):
        raise TypeError(f"not a message: {document!r:.80}")
    return Message(str(document["code"]), dict(document["params"]))


def utc_time(moment: datetime) -> str:
    """A ``time`` parameter: RFC 3339 UTC with ``Z``, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def seconds(span: timedelta) -> int:
    """A ``duration_s`` parameter: whole seconds."""
    return int(span.total_seconds())


def number(value: float) -> int | float:
    """A ``number`` parameter: as measured, to two decimals, whole numbers as integers."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue_document() -> dict[str, Any]:
    """The catalogue as served at ``GET /api/v1/messages``: per code, its parameters' kinds
    (a choice as its values' texts) and its zh and en text."""
    return {
        code: {
            "params": {
                name: kind
                if isinstance(kind, str)
                else {"choice": {v: {"zh": zh, "en": en} for v, (zh, en) in kind.texts.items()}}
                for name, kind in phrase.params.items()
            },
            "zh": phrase.zh,
            "en": phrase.en,
        }
        for code, phrase in CATALOGUE.items()
    }
