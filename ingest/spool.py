"""The on-disk spool: batches of line protocol kept, in order, while InfluxDB is away.

One job: a bounded, ordered, durable queue of batches. Each batch is one segment file named
by a sequence number. ``append`` writes the segment to a temporary file, fsyncs it, renames
it into place and fsyncs the folder before it returns, so once it returns True the lines
survive a crash or a power cut, and the messages they came from may be acknowledged to the
broker. Segments are read back oldest first; one is removed only after InfluxDB stored it.

The spool never holds more than ``max_bytes`` of segments: ``append`` refuses (returns False)
rather than grow past it, and the caller keeps the batch in memory, unacknowledged, so the
broker holds the backlog instead. A lock file keeps two ingesters out of one folder.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

SUFFIX = ".lp"


class SpoolLocked(Exception):
    """Another process holds this spool folder."""


class Spool:
    """A folder of numbered segment files; not thread-safe (the batch writer owns it)."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._lock: IO[bytes] = (directory / ".lock").open("ab")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._lock.close()
            raise SpoolLocked(f"spool {directory} is in use by another ingester") from exc
        for leftover in directory.glob("*.tmp"):  # a crash mid-append: never acknowledged
            leftover.unlink()
        self._segments: dict[int, int] = {
            int(path.stem): path.stat().st_size for path in directory.glob(f"*{SUFFIX}")
        }
        self._next = max(self._segments, default=0) + 1

    @property
    def bytes(self) -> int:
        """Bytes held on disk."""
        return sum(self._segments.values())

    @property
    def segments(self) -> int:
        """Number of batches held."""
        return len(self._segments)

    def append(self, lines: Sequence[str]) -> bool:
        """Store a batch durably at the end; False (and nothing written) if it would not fit.

        Raises OSError when the disk fails; the batch is then not in the spool.
        """
        body = "\n".join(lines).encode()
        if not lines or self.bytes + len(body) > self.max_bytes:
            return False
        seq = self._next
        self._next += 1  # never reused, even when this append fails
        final = self._path(seq)
        temporary = final.with_suffix(".tmp")
        try:
            with temporary.open("wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.rename(final)
            self._fsync_directory()
        except OSError:
            temporary.unlink(missing_ok=True)
            final.unlink(missing_ok=True)
            raise
        self._segments[seq] = len(body)
        return True

    def oldest(self) -> tuple[int, list[str]] | None:
        """The oldest batch and its sequence number, or None when the spool is empty."""
        if not self._segments:
            return None
        seq = min(self._segments)
        # A damaged byte becomes U+FFFD; InfluxDB then refuses that line alone.
        return seq, self._path(seq).read_bytes().decode("utf-8", "replace").split("\n")

    def remove(self, seq: int) -> None:
        """Forget a batch that InfluxDB has stored."""
        self._path(seq).unlink(missing_ok=True)
        self._segments.pop(seq, None)

    def close(self) -> None:
        """Release the folder's lock."""
        self._lock.close()

    def _path(self, seq: int) -> Path:
        return self.directory / f"{seq:020d}{SUFFIX}"

    def _fsync_directory(self) -> None:
        # The rename is durable only once the folder's entry is on disk.
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
