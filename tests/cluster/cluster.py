"""A private three-node RabbitMQ cluster and InfluxDB (scripts/services, ports of their own)
for the cluster fault tests: nodes are killed with -9, stopped and started as real processes."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from base64 import b64encode
from pathlib import Path
from urllib.parse import quote

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings
from tests.support import on_rabbitmq
from tools.harness.processes import alive, wait_for
from tools.harness.services import Services

NODES = 3


class Cluster(Services):
    """Three RabbitMQ nodes from ``port_base`` (node N's MQTT port: base + 10 (N-1) + 1) and an
    InfluxDB on ``port_base + 30``, under ``run_dir``."""

    def __init__(self, base: Settings, run_dir: Path, port_base: int) -> None:
        self.port_base = port_base
        influx_port = port_base + 30
        env = {
            "CURBSIDE_RABBITMQ_PORT_BASE": str(port_base),
            "CURBSIDE_RABBITMQ_NODES": str(NODES),
            "CURBSIDE_INFLUX_RPC_PORT": str(influx_port + 2),
            "CURBSIDE_INFLUX_USERNAME": base.influx.username or "curbside",
            "CURBSIDE_INFLUX_PASSWORD": (
                base.influx.password.get_secret_value() if base.influx.password else ""
            ),
        }
        # The Mosquitto port is scripts/services' own business here: it is never started.
        super().__init__(run_dir, port_base + 9, influx_port, env)
        self.base = base.replace(
            rabbitmq_port_base=port_base,
            rabbitmq_nodes=NODES,
            influx_url=f"http://127.0.0.1:{influx_port}",
            influx_db="cluster",
            run_dir=run_dir,
            ingest_metrics_port=0,
        )
        self.settings = self.base

    def start(self) -> None:
        """InfluxDB and the cluster; the suite's account on the cluster."""
        self.run("start", "influx")
        self.run("start", "rabbitmq")
        self.settings = on_rabbitmq(self.base)

    def stop(self) -> None:
        """Everything, whatever state the nodes are in."""
        self.run("stop", "rabbitmq")
        self.run("stop", "influx")

    def influx(self) -> InfluxClient:
        """A client on the private database (created if missing)."""
        client = InfluxClient.from_settings(self.settings)
        client.ensure_database()
        return client

    def node_mqtt_port(self, node: int) -> int:
        """Node ``node``'s (1-based) MQTT port."""
        return self.port_base + 10 * (node - 1) + 1

    def addresses(self, first: int) -> str:
        """Every node's MQTT address, starting with node ``first``."""
        order = [*range(first, NODES + 1), *range(1, first)]
        return ",".join(f"127.0.0.1:{self.node_mqtt_port(n)}" for n in order)

    def node_pid(self, node: int) -> int:
        """The Erlang VM of node ``node``."""
        pid_file = self.run_dir / f"rabbitmq-{self.port_base}" / f"node{node}" / "rabbitmq.pid"
        return int(pid_file.read_text().strip())

    def kill(self, node: int) -> float:
        """``kill -9`` node ``node``; the monotonic time of the kill."""
        pid = self.node_pid(node)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: not alive(pid), 10, f"node {node} (pid {pid}) to die")
        return killed

    def stop_node(self, node: int) -> None:
        """A clean stop of one node (SIGTERM), as for maintenance."""
        pid = self.node_pid(node)
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not alive(pid), 60, f"node {node} (pid {pid}) to stop")

    def start_missing(self) -> None:
        """Start the nodes that are not running; they rejoin the cluster."""
        self.run("start", "rabbitmq")

    def api(self, path: str, node: int = 1) -> object:
        """GET from a node's management API as the administrator."""
        admin = self.settings.rabbitmq
        token = b64encode(
            f"{admin.admin_user}:{admin.admin_password.get_secret_value()}".encode()
        ).decode()
        url = f"http://127.0.0.1:{self.port_base + 10 * (node - 1) + 3}{path}"
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    def leader(self, client_id: str, node: int = 1) -> int:
        """The node (1-based) that leads the session queue of ``client_id``."""
        queue = quote(f"mqtt-subscription-{client_id}qos1", safe="")
        info = self.api(f"/api/queues/%2F/{queue}", node)
        assert isinstance(info, dict), info
        assert info.get("type") == "quorum", f"session queue is {info.get('type')}, not quorum"
        leader = str(info["leader"])
        return int(leader.split("@", 1)[0].rsplit("-", 1)[1])
