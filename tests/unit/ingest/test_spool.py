"""The spool keeps batches on disk, in order, within its byte bound, across restarts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.spool import Spool, SpoolLocked


def test_batches_come_back_oldest_first_and_survive_reopening(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10_000)
    assert spool.append(["a v=1i 1", "a v=2i 2"])
    assert spool.append(["b v=3i 3"])
    spool.close()
    (tmp_path / "00000000000000000099.tmp").write_bytes(b"half a batch")  # a crash mid-append

    reopened = Spool(tmp_path, max_bytes=10_000)
    assert reopened.segments == 2
    assert not list(tmp_path.glob("*.tmp"))
    first = reopened.oldest()
    assert first is not None
    assert first[1] == ["a v=1i 1", "a v=2i 2"]
    reopened.remove(first[0])
    assert reopened.append(["c v=4i 4"])
    second = reopened.oldest()
    assert second is not None
    assert second[1] == ["b v=3i 3"]
    reopened.remove(second[0])
    third = reopened.oldest()
    assert third is not None
    assert third[1] == ["c v=4i 4"]
    reopened.remove(third[0])
    assert reopened.oldest() is None
    assert reopened.bytes == 0
    reopened.close()


def test_a_batch_that_would_pass_the_bound_is_refused_whole(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=20)
    assert spool.append(["m v=1i 1"])  # 8 bytes
    assert not spool.append(["m v=2i 2", "m v=3i 3"])  # 17 more would make 25
    assert spool.segments == 1
    assert spool.bytes == 8
    assert spool.append(["m v=4i 4"])
    assert spool.bytes == 16
    spool.close()


def test_two_ingesters_cannot_share_a_spool(tmp_path: Path) -> None:
    first = Spool(tmp_path, max_bytes=100)
    with pytest.raises(SpoolLocked):
        Spool(tmp_path, max_bytes=100)
    first.close()
    Spool(tmp_path, max_bytes=100).close()


def test_a_failing_disk_leaves_nothing_half_written(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    spool = Spool(folder, max_bytes=1_000)
    shutil.rmtree(folder)  # the folder is gone, as on a failed or unmounted disk
    with pytest.raises(OSError):
        spool.append(["m v=1i 1"])
    assert spool.segments == 0
    folder.mkdir()
    assert spool.append(["m v=2i 2"])
    oldest = spool.oldest()
    assert oldest is not None
    assert oldest[1] == ["m v=2i 2"]
    spool.close()
