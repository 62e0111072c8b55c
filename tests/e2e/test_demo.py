"""``scripts/demo`` itself, as a user runs it (on free ports, a small town, its own run
directory): a start without warnings, both API keys kept owner-only and shown again by
``scripts/demo keys``, working; and SIGTERM, a requested stop, exits 0 with everything down."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.town import REPO, small_city
from tools.harness.ports import free_port

pytestmark = pytest.mark.e2e

START_S = 180


# The town's display names in Chinese: a city file with names in one language only starts with a
# warning that says which (curbside/city/registry.py), and the demo must start quietly.
ZH = {"E2E town": "端到端小城", "Main": "主路", "Side": "支路", "East": "东片", "West": "西片"}


def _named_in_both_languages(city: dict[str, Any]) -> dict[str, Any]:
    """The city with its own, its zones', districts' and stations' names in zh and en."""

    def both(entry: dict[str, Any]) -> dict[str, Any]:
        return entry | {"name": {"zh": ZH.get(entry["name"], "中转站"), "en": entry["name"]}}

    return both(city) | {
        group: [both(entry) for entry in city[group]]
        for group in ("parking_zones", "sanitation_districts", "transfer_stations")
    }


def _demo_env(tmp: Path) -> dict[str, str]:
    """A user's environment: none of the tests' CURBSIDE_* settings, ports of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    city = tmp / "city.yaml"
    city.write_text(yaml.safe_dump(_named_in_both_languages(small_city()), allow_unicode=True))
    # Seven ports, none of them another's (nothing is bound to them until the demo starts).
    mqtt = free_port(also=1)  # and its TLS listener
    influx = free_port(mqtt + 2, span=100, also=2)  # and InfluxDB's RPC
    api = free_port(influx + 3, span=100)
    ingest_metrics = free_port(api + 1, span=100)
    alerts_metrics = free_port(ingest_metrics + 1, span=100)
    recorder_metrics = free_port(alerts_metrics + 1, span=100)
    handoff_metrics = free_port(recorder_metrics + 1, span=100)
    return env | {
        "CURBSIDE_RUN_DIR": str(tmp / "run"),
        "CURBSIDE_CITY_FILE": str(city),
        "CURBSIDE_MQTT_PORT": str(mqtt),
        "CURBSIDE_INFLUX_URL": f"http://127.0.0.1:{influx}",
        "CURBSIDE_API_PORT": str(api),
        "CURBSIDE_INGEST_METRICS_PORT": str(ingest_metrics),
        "CURBSIDE_ALERTS_METRICS_PORT": str(alerts_metrics),
        "CURBSIDE_RECORDER_METRICS_PORT": str(recorder_metrics),
        "CURBSIDE_HANDOFF_METRICS_PORT": str(handoff_metrics),
        "CURBSIDE_DEMO_SIM_ARGS": "--speed 60 --since 10m",
    }


@pytest.mark.parametrize(
    "ctrl_c",
    [
        pytest.param(False, id="SIGTERM to the demo"),
        # A terminal's Ctrl-C: SIGINT to the whole process group, the demo's children too.
        pytest.param(True, id="SIGINT to its process group"),
    ],
)
def test_demo_starts_quietly_keeps_both_keys_and_stops_cleanly(
    tmp_path: Path, ctrl_c: bool
) -> None:
    env = _demo_env(tmp_path)
    run = Path(env["CURBSIDE_RUN_DIR"])
    output = tmp_path / "demo.out"
    with output.open("wb") as out:
        demo = subprocess.Popen(
            [str(REPO / "scripts" / "demo")],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,  # its own process group, as in a terminal
        )
    try:
        deadline = time.monotonic() + START_S
        while "Curbside is running." not in output.read_text(errors="replace"):
            assert demo.poll() is None, output.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, output.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        banner = output.read_text()
        shown = dict(re.findall(r"^\s+(admin|viewer):\s+(csk_\S+)$", banner, re.MULTILINE))
        assert set(shown) == {"admin", "viewer"}, banner

        # Kept for their owner only, and shown again by a command.
        for name in ("demo-api-key", "demo-viewer-key"):
            mode = stat.S_IMODE((run / name).stat().st_mode)
            assert mode == 0o600, f"{name}: {oct(mode)}"
        again = subprocess.run(
            [str(REPO / "scripts" / "demo"), "keys"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        assert dict(re.findall(r"^(admin|viewer):\s+(\S+)$", again.stdout, re.MULTILINE)) == shown

        # They work, each with its role: the viewer reads, but may not manage keys.
        base = f"http://127.0.0.1:{env['CURBSIDE_API_PORT']}"
        for role, expected in (("admin", 200), ("viewer", 403)):
            answer = httpx.get(
                f"{base}/api/v1/keys", headers={"Authorization": f"Bearer {shown[role]}"}
            )
            assert answer.status_code == expected, (role, answer.text)
        viewer = httpx.get(
            f"{base}/api/v1/parking/occupancy",
            headers={"Authorization": f"Bearer {shown['viewer']}"},
        )
        assert viewer.status_code == 200, viewer.text

        if ctrl_c:
            os.killpg(demo.pid, signal.SIGINT)
        else:
            demo.send_signal(signal.SIGTERM)
        assert demo.wait(60) == 0, output.read_text()[-3000:]
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/health", timeout=2)
    said = output.read_text() + "".join(
        log.read_text(errors="replace") for log in (run / "logs").glob("*.log")
    )
    warnings = [line for line in said.splitlines() if "WARNING" in line]
    assert warnings == [], warnings
