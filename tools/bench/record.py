"""What every benchmark writes with its figures: the machine, the versions, the command, and
where the results go (docs/performance.md, above a marker line)."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
DISPATCH_DOC = ROOT / "docs" / "dispatch.md"  # the dispatch benchmarks write here
MARKER = "<!-- benchmarks add their results above this line -->"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_lines(command: str) -> list[str]:
    """Markdown bullet lines naming the machine, the versions and the command."""
    return [
        f"- machine: {os.cpu_count()} CPUs (`nproc`), {cpu_model()}",
        f"- Python {platform.python_version()}, numpy {np.__version__}",
        f"- command: `{command}`",
        "- load average (1, 5, 15 min) as this was written: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (wall-clock rates depend on what else runs; CPU per message much less)",
    ]


def record(section: str, doc: Path = PERFORMANCE_DOC) -> None:
    """Insert a results section above the marker in docs/performance.md."""
    text = doc.read_text(encoding="utf-8")
    if MARKER not in text:
        raise SystemExit(f"{doc}: no line {MARKER!r} to add the results above")
    doc.write_text(text.replace(MARKER, f"{section}\n{MARKER}"), encoding="utf-8")


def command_line(module: str, argv: Sequence[str] | None) -> str:
    """How the benchmark was run, as the results section quotes it."""
    given = list(argv if argv is not None else sys.argv[1:])
    return " ".join(["python -m", module, *given])


def publish(section: str, *, keep: bool, doc: Path = PERFORMANCE_DOC) -> None:
    """Print the results section and, if ``keep``, add it to ``doc`` (docs/performance.md)."""
    print(section)
    if keep:
        record(section, doc)
        print(f"added to {doc.relative_to(ROOT)}")
