"""Injected transport and device faults, between the traffic models and the publisher.

Pure and seeded: fed the good messages in order, it returns what to publish and which
faults it applied. Per message, independently: ``drop`` (nothing published), else
``duplicate`` (published twice), ``malformed`` (a bad message on the same topic next to
the good one) and ``reorder`` (held back until 1-5 further messages have gone by; its ts
stays the original). Every decision draws the same four numbers, so changing one rate
does not reshuffle the others. (The ``flicker`` fault is not applied here: it is real
traffic from the sensor, made by the parking model, which knows when the space is free.)
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Literal

from simulators.options import FaultRates
from simulators.payloads import JsonScalar, Message, MessageKind
from simulators.timestamps import utc_rfc3339

FaultKind = Literal["duplicate", "reorder", "drop", "malformed", "flicker"]
Role = Literal["original", "duplicate", "malformed"]
JsonDetail = dict[str, JsonScalar]

VARIANTS: dict[MessageKind, tuple[str, ...]] = {
    "status": ("invalid_json", "wrong_type", "nan", "missing_field"),
    "fill": ("invalid_json", "wrong_type", "out_of_range", "nan", "missing_field"),
    # ts and truck are both optional in the contract, so a missing field is no fault here.
    "emptied": ("invalid_json", "wrong_type", "nan"),
}
REORDER_SPAN = (1, 5)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to publish, and whether it is the good one, a duplicate or a bad one."""

    message: Message
    role: Role


@dataclass(frozen=True, slots=True)
class FaultRecord:
    """A fault that was applied, for the truth file."""

    kind: FaultKind
    topic: str
    detail: JsonDetail


Output = Outgoing | FaultRecord


@dataclass(slots=True)
class _Held:
    remaining: int
    outputs: list[Output] = field(default_factory=list)


def _primary_key(message: Message) -> str:
    if message.kind == "status":
        return "occupied"
    if message.kind == "emptied":
        return "ts"
    return "fill_pct" if "fill_pct" in message.fields else "distance_cm"


def malformed_payload(message: Message, variant: str, rng: random.Random) -> bytes:
    """A payload for ``message``'s topic that breaks contract v1 the way ``variant`` says."""
    key = _primary_key(message)
    fields: dict[str, object] = dict(message.fields)
    if variant == "invalid_json":
        return message.payload[: max(1, len(message.payload) // 2)]
    if variant == "wrong_type":
        fields[key] = {"occupied": "yes", "ts": True}.get(key, "full")
    elif variant == "out_of_range":
        fields.pop(key)
        fields = {"fill_pct": round(rng.uniform(101.0, 250.0), 1), **fields}
    elif variant == "nan":
        fields[key] = float("nan")
    elif variant == "missing_field":
        fields.pop(key)
    else:
        raise ValueError(f"unknown malformed variant {variant!r}")
    return json.dumps(fields, ensure_ascii=False, allow_nan=True).encode()


class FaultInjector:
    """Applies the fault rates to a message stream; see the module docstring."""

    def __init__(self, rates: FaultRates, seed: int) -> None:
        self._rates = rates
        self._decide = random.Random(f"{seed}:faults:decide")
        self._detail = random.Random(f"{seed}:faults:detail")
        self._held: list[_Held] = []

    def feed(self, message: Message) -> list[Output]:
        """What to do with the next good message, in publishing order."""
        if not self._rates.any_message_fault:
            return [Outgoing(message, "original")]
        u_drop, u_duplicate, u_malformed, u_reorder = (self._decide.random() for _ in range(4))
        ts = utc_rfc3339(message.t)
        if u_drop < self._rates.drop:
            payload = message.payload.decode(errors="replace")
            drop = FaultRecord("drop", message.topic, {"ts": ts, "payload": payload})
            return [drop]
        group: list[Output] = [Outgoing(message, "original")]
        if u_duplicate < self._rates.duplicate:
            group.insert(0, FaultRecord("duplicate", message.topic, {"ts": ts}))
            group.append(Outgoing(message, "duplicate"))
        if u_malformed < self._rates.malformed:
            group.extend(self._malformed(message, ts))
        out: list[Output] = []
        if u_reorder < self._rates.reorder:
            span = self._detail.randint(*REORDER_SPAN)
            out.append(FaultRecord("reorder", message.topic, {"ts": ts, "held_for": span}))
            self._release_after_one(out)
            self._held.append(_Held(span, group))
            return out
        out.extend(group)
        self._release_after_one(out)
        return out

    def _malformed(self, message: Message, ts: str) -> list[Output]:
        variant = self._detail.choice(VARIANTS[message.kind])
        bad = malformed_payload(message, variant, self._detail)
        record = FaultRecord(
            "malformed",
            message.topic,
            {"ts": ts, "variant": variant, "payload": bad.decode(errors="replace")},
        )
        bad_message = Message(message.topic, bad, message.kind, message.fields, message.report)
        return [record, Outgoing(bad_message, "malformed")]

    def _release_after_one(self, out: list[Output]) -> None:
        # One more message has gone by: release what was held for that many.
        still: list[_Held] = []
        for held in self._held:
            held.remaining -= 1
            if held.remaining <= 0:
                out.extend(held.outputs)
            else:
                still.append(held)
        self._held = still

    def flush(self) -> list[Output]:
        """Everything still held back, in the order it was held (the stream has ended)."""
        out = [output for held in self._held for output in held.outputs]
        self._held = []
        return out
