"""The fee benchmark (tools/bench/fees.py) runs and records its figures: tooling, kept apart
from the product's unit tests because the product never imports tools/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.bench import fees as bench
from tools.bench.record import MARKER, record


def test_the_benchmark_runs_and_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--stays", "3000", "--sample", "300", "--no-record"]) == 0
    table = capsys.readouterr().out
    assert "| vectorised (best of 3) | 3,000 |" in table and "agreed to the fen" in table
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\n{MARKER}\n")
    record("### a run\n", doc)
    assert doc.read_text() == f"# Performance\n\n### a run\n\n{MARKER}\n"
