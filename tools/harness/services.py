"""Mosquitto and InfluxDB of a run folder and ports of their own, through scripts/services
(the same configuration as the demo and the test command)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tools.harness.processes import ROOT, alive, wait_for


class Services:
    """One Mosquitto and one InfluxDB under ``run_dir``; ``env`` holds the CURBSIDE_* settings
    scripts/services reads (ports, credentials, database)."""

    def __init__(self, run_dir: Path, mqtt_port: int, influx_port: int, env: dict[str, str]):
        self.run_dir = run_dir
        self.mqtt_port = mqtt_port
        self.influx_port = influx_port
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            **env,
            "CURBSIDE_RUN_DIR": str(run_dir),
            "CURBSIDE_MQTT_PORT": str(mqtt_port),
            "CURBSIDE_INFLUX_URL": f"http://127.0.0.1:{influx_port}",
        }

    def run(self, action: str, which: str = "all") -> None:
        """``scripts/services ACTION WHICH``; AssertionError with its output if it fails."""
        done = subprocess.run(
            [str(ROOT / "scripts" / "services"), action, which],
            env=self.env,
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"scripts/services {action} {which} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )

    def pid(self, which: str) -> int:
        """The pid of the running Mosquitto (``mqtt``) or InfluxDB (``influx``)."""
        path = (
            self.run_dir / f"mosquitto-{self.mqtt_port}" / "mosquitto.pid"
            if which == "mqtt"
            else self.run_dir / f"influxdb-{self.influx_port}" / "influxd.pid"
        )
        return int(path.read_text().strip())

    def signal(self, which: str, sig: signal.Signals) -> None:
        """Send a signal to one service; after SIGKILL, wait until it is gone."""
        pid = self.pid(which)
        os.kill(pid, sig)
        if sig == signal.SIGKILL:
            wait_for(lambda: not alive(pid), 10, f"{which} (pid {pid}) to die")

    def broker_log(self) -> str:
        """Everything the broker logged."""
        return (self.run_dir / f"mosquitto-{self.mqtt_port}" / "mosquitto.log").read_text()

    def broker_db(self) -> Path:
        """The broker's persistence file."""
        return self.run_dir / f"mosquitto-{self.mqtt_port}" / "data" / "mosquitto.db"
