"""Curbside processes as real subprocesses: ``python -m X`` with exactly the given settings,
its log in a file, its Prometheus metrics and its /proc readings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from curbside.config.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class TimedOut(AssertionError):
    """Something a test or benchmark waited for did not happen in time."""


def wait_for(
    condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.1
) -> None:
    """Poll until ``condition`` holds; :class:`TimedOut` saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    raise TimedOut(f"timed out after {timeout_s:.0f}s waiting for {what}")


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a subprocess exactly these settings (and no others from
    this process's environment), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    for name, value in settings.flat().items():
        if value is None:
            continue
        text = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        env[f"{ENV_PREFIX}{name.upper()}"] = str(text)
    return env | extra


def proc_cpu_s(pid: int) -> float:
    """User plus system CPU seconds a live process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def child_pids(pid: int) -> list[int]:
    """The live processes ``pid`` started (the API's processes, say)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a live process and of the processes it started."""
    return proc_cpu_s(pid) + sum(proc_cpu_s(child) for child in child_pids(pid))


def proc_status_kib(pid: int, key: str) -> int:
    """One memory line of /proc/PID/status (``VmRSS``, ``VmHWM``), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise ValueError(f"no {key} for pid {pid}")


def proc_rss_bytes(pid: int) -> int:
    """Resident memory of a live process."""
    return proc_status_kib(pid, "VmRSS") * 1024


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in {"Z", "X"}


def scrape(url: str) -> Samples:
    """Every sample of a Prometheus endpoint, keyed by name and sorted labels."""
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


class CurbsideProcess:
    """``python -m MODULE ARGS`` from the checkout, its output in ``log``; not yet started."""

    def __init__(
        self,
        name: str,
        module_args: Sequence[str],
        env: dict[str, str],
        log: Path,
        metrics_port: int = 0,
    ) -> None:
        self.name = name
        self.args = [sys.executable, "-m", *module_args]
        self.env = env
        self.log = log
        self.metrics_port = metrics_port
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self, *, new_session: bool = False) -> CurbsideProcess:
        """Start it (appending to its log); ``new_session`` keeps a test's signals away."""
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=new_session,
            )
        return self

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.popen is not None, f"{self.name} was never started"
        return self.popen.pid

    @property
    def running(self) -> bool:
        """True while the process runs."""
        return self.popen is not None and self.popen.poll() is None

    def check_running(self) -> bool:
        """True while it runs; :class:`AssertionError` with its log's tail if it exited."""
        assert self.popen is not None, f"{self.name} was never started"
        if self.popen.poll() is not None:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
            raise AssertionError(f"{self.name} exited ({self.popen.returncode}):\n{tail}")
        return True

    def metrics(self) -> Samples:
        """Every sample of its /metrics, keyed by name and sorted labels."""
        return scrape(f"http://127.0.0.1:{self.metrics_port}/metrics")

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when absent)."""
        return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)

    def kill(self) -> None:
        """``kill -9`` and reap it."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(30)

    def stop(self, timeout_s: float = 60) -> int | None:
        """SIGTERM and wait, SIGKILL after ``timeout_s``; the exit status (None if never
        started)."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        return self.popen.returncode
