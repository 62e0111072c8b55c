"""The dispatch week benchmark (tools/bench/dispatch_week.py) still runs: one short day."""

from __future__ import annotations

import pytest

from tools.bench import dispatch_week as bench


def test_a_day_under_each_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--days", "1", "--limit", "1", "--no-record"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "%" in line]
    assert [r.split("|")[1].strip() for r in rows[:3]] == ["fixed rounds", "worklist", "optimised"]
    assert "fewer km" in out
