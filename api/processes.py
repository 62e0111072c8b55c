"""Several API processes on one port (``CURBSIDE_API_PROCESSES``), so that more cores answer
more requests.

The app is made once, then the process forks: every child serves the same app on its own
listening socket bound with ``SO_REUSEPORT``, and the kernel spreads connections among them.
Each child runs the app's lifespan itself, so each follows the MQTT stream with client ids
of its own (they carry its pid) and keeps its own live state. What the limiters count is
shared (curbside/adapters/access/ratelimit.py). What must happen once per deployment, not
once per process, is the designated child's (index 0) alone; see docs/operations.md,
"Several API processes": the plan desk and its re-plans, the routes it publishes, the trucks'
progress it stores. The others forward the dispatch routes to it over a Unix socket
(api/dispatch_forward.py). The record store is migrated by the parent before forking.

A child that exits while the API is meant to run stops the whole API, loudly: the parent
stops the others and exits 1, so no API runs on with part of itself gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)

# How long the parent lets children stop after SIGTERM before it kills them.
STOP_GRACE_S = 10.0
# A child whose server never started (its lifespan failed) exits with uvicorn's own status.
EXIT_STARTUP_FAILURE = 3


@dataclass(frozen=True, slots=True)
class ProcessRole:
    """Which of the API's processes this is."""

    index: int = 0
    count: int = 1
    designated_socket: Path | None = None
    """Where the designated process also listens (Unix socket), with several processes."""

    @property
    def designated(self) -> bool:
        """Whether this process does what is done once per deployment (dispatch)."""
        return self.index == 0

    @property
    def migrates(self) -> bool:
        """Whether this process migrates the record store itself (alone, it does)."""
        return self.count == 1


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other processes of ours may bind as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP by name, not 0: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket's proto says TCP, and without it Nagle's algorithm meets the client's
    # delayed ACK and holds each answer about 40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def unix_socket(path: Path) -> socket.socket:
    """A Unix stream socket bound at ``path``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return sock


def serve_processes(
    app: FastAPI, count: int, host: str, port: int, config: Callable[[FastAPI], uvicorn.Config]
) -> int:
    """Serve ``app`` from ``count`` forked processes until stopped (0) or until one of them
    exits by itself (1, after stopping the others)."""
    with tempfile.TemporaryDirectory(prefix="curbside-api-") as private:
        designated_socket = Path(private) / "designated.sock"
        children: dict[int, int] = {}
        supervisor = _Supervisor(children)
        for index in range(count):
            role = ProcessRole(index, count, designated_socket)
            pid = os.fork()
            if pid == 0:
                os._exit(_child(app, role, host, port, config))
            children[pid] = index
        log.info("API serving on %s:%s from %d processes %s", host, port, count, list(children))
        return supervisor.wait()


def _child(
    app: FastAPI,
    role: ProcessRole,
    host: str,
    port: int,
    config: Callable[[FastAPI], uvicorn.Config],
) -> int:
    """One process's life: serve until told to stop; its exit status."""
    try:
        # The parent's handlers pass signals on; uvicorn installs its own when it serves.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        app.state.role = role
        sockets = [reuseport_socket(host, port)]
        if role.designated and role.designated_socket is not None:
            sockets.append(unix_socket(role.designated_socket))
        server = uvicorn.Server(config(app))
        server.run(sockets=sockets)
        return 0 if server.started else EXIT_STARTUP_FAILURE
    except BaseException:
        log.exception("API process %d failed", role.index)
        return 1


class _Supervisor:
    """Waits for the children. A stop signal is passed on to them (status 0 when they are
    all gone); a child gone by itself takes the others down (status 1)."""

    def __init__(self, children: dict[int, int]) -> None:
        self._children = children
        self._stopping = False
        # Before the first fork, so no signal can find the parent without its handler.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        _signal_all(self._children, signal.SIGTERM)

    def wait(self) -> int:
        """Until every child is gone: 0 if they were told to stop, 1 if one went by itself."""
        failed = False
        while self._children:
            pid, status = os.waitpid(-1, 0)
            index = self._children.pop(pid, None)
            if index is None or self._stopping or failed:
                continue
            failed = True
            log.critical(
                "API process %d (pid %d) exited by itself (%s): stopping the API",
                index,
                pid,
                _described(status),
            )
            _stop_all(self._children)
        return 1 if failed else 0


def _stop_all(children: dict[int, int]) -> None:
    """SIGTERM every child; SIGKILL those still there after the grace."""
    _signal_all(children, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while children and time.monotonic() < deadline:
        pid, _status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.05)
        else:
            children.pop(pid, None)
    _signal_all(children, signal.SIGKILL)


def _signal_all(children: dict[int, int], signum: int) -> None:
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _described(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"status {os.waitstatus_to_exitcode(status)}"
