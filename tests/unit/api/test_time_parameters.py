"""Times in query strings as users send them: a raw '+' (which a URL turns into a space) gets
a 422 that says to encode it as %2B, and the docs' examples work when pasted, answering what
the docs show. The docs' 401 bodies are the API's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from curbside.city.registry import load_city
from curbside.config.settings import load_settings

REPO = Path(__file__).parents[3]
DOCS = (REPO / "docs" / "api.md").read_text()
DEMO = load_city(REPO / "curbside" / "city" / "demo-city.yaml")
QUOTE = "/api/v1/parking/fees/quote"


@pytest.fixture
def api(keys_file: Path) -> TestClient:
    # No lifespan: the quote needs only the registry, and no key.
    return TestClient(create_app(load_settings(api_keys_file=keys_file), DEMO))


def _message(response: Any, name: str) -> str:
    assert response.status_code == 422, response.text
    (error,) = [e for e in response.json()["detail"] if e["loc"] == ["query", name]]
    return str(error["msg"])


def test_a_raw_plus_is_a_422_that_says_to_encode_it(api: TestClient) -> None:
    # Sent as a user pastes it: the '+' is not encoded, so the server reads a space.
    raw = f"{QUOTE}?zone=Z01&start=2026-11-25T09:00:00+08:00&end=2026-11-25T10:10:00Z"
    message = _message(api.get(raw), "start")
    assert "%2B" in message
    # ... and never suggests the very form that failed.
    assert not re.search(r"\d\+\d\d:\d\d", message), message


def test_other_bad_times_suggest_only_forms_that_work_in_a_url(api: TestClient) -> None:
    message = _message(api.get(f"{QUOTE}?zone=Z01&start=tomorrow&end=2026-11-25T10:10Z"), "start")
    assert not re.search(r"\d\+\d\d:\d\d", message), message
    assert "%2B" in message


def _documented_quote_urls() -> list[str]:
    urls = [
        arg
        for line in DOCS.splitlines()
        if line.startswith("curl ") and QUOTE in line
        for arg in shlex.split(line)
        if arg.startswith("http")
    ]
    assert len(urls) >= 2, "docs/api.md lost its fee quote examples"
    return urls


def _documented_quote_answer() -> dict[str, str]:
    """The top-level values of the quote's example answer in docs/api.md."""
    section = DOCS[DOCS.index(f"### `GET {QUOTE}") :]
    block = section[section.index("```json") : section.index("```", section.index("```json") + 7)]
    pairs = re.findall(r'"(zone|tariff|start|end|duration_s|fen|display)": ("[^"]*"|\d+)', block)
    return {name: value.strip('"') for name, value in pairs}


@pytest.mark.parametrize("url", _documented_quote_urls())
def test_the_documented_quote_examples_answer_what_the_docs_show(api: TestClient, url: str) -> None:
    path = url.removeprefix("http://127.0.0.1:8000")
    response = api.get(path)  # as pasted: no re-encoding
    assert response.status_code == 200, response.text
    body = response.json()
    real = {k: str(v) for k, v in body.items() if not isinstance(v, dict)}
    real |= {k: str(v) for k, v in body["fee"].items() if k in ("fen", "display")}
    documented = _documented_quote_answer()
    assert set(documented) == {"zone", "tariff", "start", "end", "duration_s", "fen", "display"}
    assert {k: real[k] for k in documented} == documented


def test_the_documented_401_bodies_are_the_apis(api: TestClient) -> None:
    no_key = api.get("/api/v1/parking/occupancy")
    bad_key = api.get("/api/v1/parking/occupancy", headers={"Authorization": "Bearer csk_x_y"})
    for response in (no_key, bad_key):
        assert response.status_code == 401
        assert f'`{{"detail": "{response.json()["detail"]}"}}`' in DOCS, response.text
