"""Golden-file tests: every folder under cases/ is a topic, a payload and what must come out.

Adding a case needs no code: a folder with ``topic.txt``, ``payload.bin``, ``SOURCE.md``
(where the case comes from: a vendor's published example, or "Regression case" for one made
by hand) and ``expected.json`` (either ``{"readings": [...]}``, optionally with
``"skipped": [<reason>, ...]``, or ``{"error": "<reason>"}``). Vendor cases also keep the
vendor's own input and expected output in ``vendor.json`` (see test_both_paths.py). LoRaWAN
cases name sensors registered in ``city.yaml`` beside this file.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import curbside.adapters.decoders.formats  # noqa: F401 - registers the formats under test
from curbside.adapters.decoders.codecs import CODECS
from curbside.adapters.decoders.registry import decoder_for
from curbside.city.registry import load_city
from curbside.vocabulary.readings import Reading
from curbside.vocabulary.rejection import Rejected

HERE = Path(__file__).parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.is_dir())
SENSORS = load_city(HERE / "city.yaml").sensors


def as_json(reading: Reading) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(reading).__name__}
    for field in dataclasses.fields(reading):
        value = getattr(reading, field.name)
        out[field.name] = value.isoformat() if isinstance(value, datetime) else value
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path) -> None:
    topic = (case / "topic.txt").read_text().strip()
    payload = (case / "payload.bin").read_bytes()
    expected = json.loads((case / "expected.json").read_text())
    try:
        decoded = decoder_for(topic).decode(topic, payload, SENSORS)
    except Rejected as rejected:
        assert expected.get("error") == str(rejected.reason), rejected.detail
        return
    assert "error" not in expected, f"expected rejection {expected['error']}, got {decoded}"
    assert [as_json(r) for r in decoded.readings] == expected["readings"]
    assert [str(s.reason) for s in decoded.skipped] == expected.get("skipped", [])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_says_where_it_comes_from(case: Path) -> None:
    source = (case / "SOURCE.md").read_text()
    assert source.startswith(("Vendor example.", "Regression case.")), case.name
    assert source.startswith("Vendor example.") == (case / "vendor.json").exists(), case.name


def test_every_supported_model_has_vendor_cases() -> None:
    models = {SENSORS[_dev_eui(c)].model for c in CASES if (c / "vendor.json").exists()}
    assert models == set(CODECS)


def _dev_eui(case: Path) -> str:
    payload = json.loads((case / "payload.bin").read_text())
    eui = payload.get("deviceInfo", {}).get("devEui") or payload["end_device_ids"]["dev_eui"]
    return str(eui).upper()


def test_there_are_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("prefix", ["cs_", "tts_"])
def test_each_network_server_has_cases(prefix: str) -> None:
    assert len([c for c in CASES if c.name.startswith(prefix)]) >= 10
