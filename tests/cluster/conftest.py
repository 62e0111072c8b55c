"""The three-node RabbitMQ cluster's fault tests: a command of their own, not part of CI's
run (a cluster's start and its faults take minutes; CI runs the rights matrix on a one-node
RabbitMQ instead). Run them with (docs/rabbitmq.md):

    CURBSIDE_TEST_CLUSTER=1 scripts/test tests/cluster

The cluster takes 30 ports from ``CURBSIDE_TEST_CLUSTER_PORT_BASE`` (default 18930) and its
InfluxDB the next 3.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from curbside.config.settings import Settings
from tests.cluster.cluster import Cluster

if os.environ.get("CURBSIDE_TEST_CLUSTER") != "1":
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="module")
def cluster(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    base_settings: Settings,
) -> Iterator[Cluster]:
    """A fresh three-node cluster and InfluxDB for this module, stopped afterwards."""
    port_base = int(os.environ.get("CURBSIDE_TEST_CLUSTER_PORT_BASE", "18930"))
    run_dir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    stack = Cluster(base_settings, run_dir, port_base)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
