"""Free loopback ports, the one way every test and benchmark picks them."""

from __future__ import annotations

import os
import socket
from pathlib import Path

RANGE_VAR = "CURBSIDE_TEST_PORT_RANGE"


def free_port(start: int | None = None, *, span: int = 10, also: int = 0) -> int:
    """A TCP port nothing is bound to on 127.0.0.1 right now.

    With ``start``, the first free one in ``start .. start + span - 1`` (and, when ``also`` is
    given, whose neighbour ``also`` above is free too: InfluxDB's RPC listener); without, one
    in ``CURBSIDE_TEST_PORT_RANGE`` (``25000-25999``, for machines where each developer has
    ports of their own) when that is set, else one the system picks.
    """
    if start is not None:
        candidates = range(start, start + span)
    elif wanted := os.environ.get(RANGE_VAR, ""):
        low, _, high = wanted.partition("-")
        candidates = range(int(low), int(high) + 1)
    else:
        return _system_port()
    for port in candidates:
        if _bindable(port) and (not also or _bindable(port + also)):
            return port
    raise RuntimeError(f"no free port in {candidates.start}..{candidates.stop - 1}")


def listening(port: int) -> bool:
    """Whether a socket listens on the loopback ``port``, read from /proc/net.

    Polling a port nobody listens on yet by connecting is not harmless: these ports lie in
    Linux's ephemeral range, so a connect can be given that very port as its source and connect
    to itself (a TCP self-connect), keeping the port from the server about to bind it.
    """
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if local.endswith(wanted) and state == "0A":
                return True
    return False


def _system_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
