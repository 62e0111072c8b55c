"""The fault layer: duplicates, reordering, drops and malformed messages, all recorded."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.events import EmptyingReport, FillReport, SpaceReport
from simulators.faults import FaultInjector, FaultRecord, Outgoing, Output
from simulators.options import FaultRates
from simulators.payloads import Message, encode

from .contract import problem

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = 1_795_644_000


def _messages(n: int) -> list[Message]:
    out: list[Message] = []
    for i in range(n):
        t = T0 + i
        event: SpaceReport | FillReport | EmptyingReport
        if i % 3 == 0:
            event = SpaceReport(t, "Z01", f"Z01-{i:03d}", i % 2 == 0, 3.6, -90, "change")
        elif i % 3 == 1:
            distance = 30.0 if i % 2 else None
            fill = None if distance is not None else 42.5
            event = FillReport(
                t, "D1", f"D1-B{i:03d}", 42.0, 42.5, fill, distance, 3.5, 20.0, False
            )
        else:
            event = EmptyingReport(t, "D1", f"D1-B{i:03d}", "T03")
        message = encode(event, SHANGHAI)
        assert message is not None
        out.append(message)
    return out


def _run(rates: FaultRates, messages: list[Message], seed: int = 1) -> list[list[Output]]:
    """The outputs of feeding each message in turn, then (last) of the flush."""
    injector = FaultInjector(rates, seed)
    return [injector.feed(m) for m in messages] + [injector.flush()]


def _sent(steps: list[list[Output]]) -> list[Outgoing]:
    return [o for step in steps for o in step if isinstance(o, Outgoing)]


def _records(steps: list[list[Output]], kind: str) -> list[FaultRecord]:
    return [o for step in steps for o in step if isinstance(o, FaultRecord) and o.kind == kind]


def _wire(outgoing: list[Outgoing]) -> list[tuple[str, bytes]]:
    return [(o.message.topic, o.message.payload) for o in outgoing]


def test_no_faults_is_a_pass_through() -> None:
    messages = _messages(50)
    steps = _run(FaultRates(), messages)
    assert _wire(_sent(steps)) == [(m.topic, m.payload) for m in messages]
    assert all(isinstance(o, Outgoing) for step in steps for o in step)


def test_flicker_is_not_the_fault_layers_business() -> None:
    # Flickers are real sensor traffic from the parking model; the layer passes messages on.
    messages = _messages(50)
    steps = _run(FaultRates(flicker=1.0), messages)
    assert steps == _run(FaultRates(), messages)


def test_duplicate_everything_doubles_the_count() -> None:
    messages = _messages(60)
    steps = _run(FaultRates(duplicate=1.0), messages)
    expected = [(m.topic, m.payload) for m in messages for _ in range(2)]
    assert _wire(_sent(steps)) == expected
    assert len(_records(steps, "duplicate")) == 60


def test_drop_everything_publishes_nothing_but_records_it() -> None:
    messages = _messages(60)
    steps = _run(FaultRates(drop=1.0), messages)
    assert _sent(steps) == []
    drops = _records(steps, "drop")
    assert [d.topic for d in drops] == [m.topic for m in messages]
    assert [d.detail["payload"] for d in drops] == [m.payload.decode() for m in messages]


def test_reorder_keeps_every_message_and_delays_by_at_most_five() -> None:
    messages = _messages(300)
    for rate in (1.0, 0.3):
        steps = _run(FaultRates(reorder=rate), messages)
        sent = _wire(_sent(steps))
        originals = [(m.topic, m.payload) for m in messages]
        assert Counter(sent) == Counter(originals)
        assert sent != originals
        # Each message goes out once at most five further messages have been fed...
        fed_at = {(m.topic, m.payload): i for i, m in enumerate(messages)}
        for step_index, step in enumerate(steps[:-1]):
            for o in step:
                if isinstance(o, Outgoing):
                    delay = step_index - fed_at[(o.message.topic, o.message.payload)]
                    assert 0 <= delay <= 5
        # ...and its timestamp stays the original.
        assert {o.message.t for o in _sent(steps)} == {m.t for m in messages}
        if rate == 1.0:
            assert len(_records(steps, "reorder")) == 300


def test_malformed_adds_a_bad_message_next_to_the_good_one() -> None:
    messages = _messages(300)
    steps = _run(FaultRates(malformed=1.0), messages)
    for message, step in zip(messages, steps, strict=False):
        sent = [o for o in step if isinstance(o, Outgoing)]
        assert [o.role for o in sent] == ["original", "malformed"]
        good, bad = sent
        assert good.message.payload == message.payload
        assert problem(message.topic, good.message.payload) is None
        assert bad.message.topic == message.topic
        assert problem(bad.message.topic, bad.message.payload) is not None, bad.message.payload
    variants = Counter(str(r.detail["variant"]) for r in _records(steps, "malformed"))
    assert set(variants) == {
        "invalid_json",
        "wrong_type",
        "out_of_range",
        "nan",
        "missing_field",
    }


probability = st.sampled_from([0.0, 0.05, 0.3, 1.0])


@given(probability, probability, probability, probability, st.integers(0, 1000))
@settings(max_examples=60, deadline=None)
def test_everything_adds_up(
    duplicate: float, reorder: float, drop: float, malformed: float, seed: int
) -> None:
    messages = _messages(120)
    rates = FaultRates(duplicate=duplicate, reorder=reorder, drop=drop, malformed=malformed)
    steps = _run(rates, messages, seed)
    sent = _sent(steps)
    roles = Counter(o.role for o in sent)
    drops = _records(steps, "drop")
    assert roles["original"] == len(messages) - len(drops)
    assert roles["duplicate"] == len(_records(steps, "duplicate"))
    assert roles["malformed"] == len(_records(steps, "malformed"))
    dropped = {d.topic for d in drops}
    kept = [(m.topic, m.payload) for m in messages if m.topic not in dropped]
    assert Counter(_wire([o for o in sent if o.role == "original"])) == Counter(kept)
    # The same seed makes the same faults.
    assert _run(rates, messages, seed) == steps
