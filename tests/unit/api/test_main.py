"""``python -m api``: argument overrides, and exit status 2 with a message on bad config."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

import api.__main__ as entry


def test_bad_setting_exits_2_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", _must_not_run)
    assert entry.main(["--port", "70000"]) == 2
    assert "CURBSIDE_API_PORT" in capsys.readouterr().err


def test_a_number_of_processes_out_of_range_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", _must_not_run)
    for bad in ("0", "65", "two"):
        monkeypatch.setenv("CURBSIDE_API_PROCESSES", bad)
        assert entry.main([]) == 2
        assert "CURBSIDE_API_PROCESSES" in capsys.readouterr().err


def test_unreadable_city_file_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", _must_not_run)
    monkeypatch.setenv("CURBSIDE_CITY_FILE", "/nonexistent/city.yaml")
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    assert "/nonexistent/city.yaml" in err
    assert "cannot read the city file" in err


def test_host_and_port_override_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_API_HOST", "127.0.0.9")
    monkeypatch.setenv("CURBSIDE_API_PORT", "8111")
    served: dict[str, Any] = {}

    def fake_run(app: FastAPI, **kwargs: Any) -> None:
        served.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    assert entry.main(["--host", "0.0.0.0", "--port", "9001"]) == 0
    assert (served["host"], served["port"]) == ("0.0.0.0", 9001)
    assert isinstance(served["app"], FastAPI)

    served.clear()
    assert entry.main([]) == 0
    assert (served["host"], served["port"]) == ("127.0.0.9", 8111)


def test_help_describes_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        entry.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--host" in out
    assert "--port" in out


def _must_not_run(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the server must not start with a bad configuration")
