"""The command line: every option documented, parsed into options, errors exit 2."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest

import simulators.run
from simulators.__main__ import build_parser, main, options_from_args
from simulators.options import FaultRates, IncidentSpec
from simulators.recording import RecordingPublisher
from tools.harness.ports import free_port

OPTIONS = [
    "--since",
    "--start",
    "--speed",
    "--duration",
    "--count",
    "--seed",
    "--city",
    "--devices",
    "--zones",
    "--districts",
    "--heartbeat",
    "--bin-report",
    "--faults",
    "--seq",
    "--incidents",
    "--trucks",
    "--truth",
    "--host",
    "--port",
    "--username",
    "--password",
    "--client-id",
    "--log-every",
]


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in OPTIONS:
        assert option in text


def test_arguments_become_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_MQTT_HOST", "broker.example")
    monkeypatch.setenv("CURBSIDE_MQTT_PORT", "1999")
    monkeypatch.setenv("CURBSIDE_CITY_FILE", "somewhere/city.yaml")
    args = build_parser().parse_args(
        [
            "--since",
            "24h",
            "--speed",
            "max",
            "--count",
            "5000",
            "--zones",
            "Z01,Z02",
            "--faults",
            "drop=0.01,malformed=0.02",
            "--bin-report",
            "5m",
            "--truth",
            "/tmp/t.jsonl",
        ]
    )
    options = options_from_args(args)
    assert options.since == timedelta(hours=24)
    assert math.isinf(options.speed)
    assert options.count == 5000
    assert options.zones == ("Z01", "Z02")
    assert options.faults == FaultRates(drop=0.01, malformed=0.02)
    assert options.bin_report == timedelta(minutes=5)
    assert options.heartbeat == timedelta(minutes=10)
    assert options.truth == Path("/tmp/t.jsonl")
    assert (options.host, options.port) == ("broker.example", 1999)
    assert options.city == Path("somewhere/city.yaml")
    assert options.duration is None
    assert options.start is None
    assert options.seq is False


def test_flicker_and_seq_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_CITY_FILE", "somewhere/city.yaml")
    args = build_parser().parse_args(["--faults", "flicker=0.05,drop=0.01", "--seq"])
    options = options_from_args(args)
    assert options.faults == FaultRates(flicker=0.05, drop=0.01)
    assert options.seq is True


def test_incidents_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_CITY_FILE", "somewhere/city.yaml")
    parser = build_parser()
    assert options_from_args(parser.parse_args([])).incidents == IncidentSpec()
    args = parser.parse_args(["--incidents", "skip=0.1,overfill=2,fire=1,silent=1"])
    assert options_from_args(args).incidents == IncidentSpec(0.1, 2, 1, 1)


def test_trucks_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_CITY_FILE", "somewhere/city.yaml")
    parser = build_parser()
    fixed = options_from_args(parser.parse_args([]))
    assert fixed.trucks == "rounds"
    assert "trucks" not in fixed.traffic_summary()  # the truth header of fixed rounds as before
    planned = options_from_args(parser.parse_args(["--trucks", "plan"]))
    assert planned.trucks == "plan"
    assert planned.traffic_summary()["trucks"] == "plan"


def test_bad_incidents_exit_2_saying_why(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--incidents", "fire=lots"])
    assert exit_info.value.code == 2
    assert "incidents: fire='lots' is not a whole number of bins" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--speed", "0"],
        ["--since", "1h", "--start", "2026-11-27T00:00:00Z"],
        ["--faults", "lose=1"],
        ["--devices", "cars"],
        ["--trucks", "drones"],
        ["--count", "0"],
        ["--start", "2026-11-27T08:00:00"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_unreachable_broker_exits_2_naming_it(
    city_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(simulators.run, "CONNECT_TIMEOUT_S", 0.5)
    port = free_port()
    status = main(["--city", str(city_file), "--host", "127.0.0.1", "--port", str(port)])
    assert status == 2
    assert f"127.0.0.1:{port}" in caplog.text


def test_a_bad_city_file_exits_2(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "city.yaml"
    path.write_text("parking_zones: 3\n", encoding="utf-8")
    assert main(["--city", str(path), "--host", "127.0.0.1", "--port", "1"]) == 2
    assert str(path) in caplog.text


def test_an_unwritable_truth_file_exits_2(
    city_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(simulators.run, "_connect", lambda options: RecordingPublisher())
    truth = tmp_path / "no-such-dir" / "truth.jsonl"
    argv = ["--city", str(city_file), "--start", "2026-11-26T06:00:00+08:00", "--count", "5"]
    assert main([*argv, "--truth", str(truth), "--speed", "max"]) == 2
    assert "no-such-dir" in caplog.text
    assert main([*argv, "--truth", str(tmp_path / "t.jsonl"), "--speed", "max"]) == 0


def test_network_server_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_CITY_FILE", "curbside/city/demo-city.yaml")
    parser = build_parser()
    plain = options_from_args(parser.parse_args([]))
    assert (plain.wire_format, plain.model, plain.decoded_object) == ("native", None, False)
    args = parser.parse_args(["--format", "tts", "--model", "nwave-nps", "--decoded-object"])
    options = options_from_args(args)
    assert (options.wire_format, options.model, options.decoded_object) == (
        "tts",
        "nwave-nps",
        True,
    )
    assert options.traffic_summary()["format"] == "tts"
    with pytest.raises(SystemExit):
        parser.parse_args(["--format", "lora"])


def test_tls_comes_from_the_command_line_or_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("a CA")
    options = options_from_args(build_parser().parse_args(["--tls-ca-file", str(ca)]))
    assert (options.tls, options.tls_ca_file) == (True, ca)
    monkeypatch.setenv("CURBSIDE_MQTT_TLS", "true")
    monkeypatch.setenv("CURBSIDE_MQTT_TLS_CA_FILE", str(ca))
    options = options_from_args(build_parser().parse_args([]))
    assert (options.tls, options.tls_ca_file) == (True, ca)
    monkeypatch.setenv("CURBSIDE_MQTT_TLS", "false")
    monkeypatch.delenv("CURBSIDE_MQTT_TLS_CA_FILE")
    options = options_from_args(build_parser().parse_args([]))
    assert (options.tls, options.tls_ca_file) == (False, None)
