# SPDX-License-Identifier: GPL-2.0-or-later
"""When to read and write the drift file, and what "the last good frequency" is.

The value stored is the mean of the adjustments the servo asked for while
locked since the last write, not a single output: a PI servo's output moves
with every noisy offset, while the mean over a locked stretch is the
frequency that kept the clock's phase still, which is what a restart needs.
A write waits for MIN_LOCKED_SAMPLES locked outputs and comes at most once
per ``min_interval_ns`` (a minute), plus once at clean shutdown, so a
flash card sees few writes and a crash loses at most a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ptpbridge.daemon.drift_file import DriftFileError, read_drift, write_drift
from ptpbridge.timebase import NS_PER_S

log = logging.getLogger("ptpbridge.discipline")

WRITE_INTERVAL_NS = 60 * NS_PER_S
# Locked outputs averaged before a value is worth storing.
MIN_LOCKED_SAMPLES = 8


class DriftKeeper:
    """Loads the drift file once, then stores the locked servo's mean frequency."""

    def __init__(self, path: Path | None, monotonic_ns: Callable[[], int],
                 min_interval_ns: int = WRITE_INTERVAL_NS) -> None:
        self.path = path
        self._monotonic_ns = monotonic_ns
        self._min_interval_ns = min_interval_ns
        self._sum = 0.0
        self._count = 0
        self._last_write_ns: int | None = None
        self.loaded_ppb: float | None = None
        self.load_error: str | None = None
        self.written_ppb: float | None = None
        self.writes = 0
        self.write_error: str | None = None

    def load(self, max_frequency_ppb: float) -> float | None:
        """The stored frequency, or None (no path, no file yet, or a bad file: logged, ignored)."""
        if self.path is None:
            return None
        try:
            value = read_drift(self.path, max_frequency_ppb)
        except DriftFileError as exc:
            self.load_error = exc.reason
            log.warning("%s; ignored, starting from the clock's current frequency", exc)
            return None
        if value is None:
            log.info("drift file %s does not exist yet; it is written once the servo locks",
                     self.path)
        self.loaded_ppb = value
        return value

    def note_locked(self, frequency_ppb: float) -> None:
        """A locked servo asked for ``frequency_ppb``; store the mean when a write is due."""
        if self.path is None:
            return
        self._sum += frequency_ppb
        self._count += 1
        last = self._last_write_ns
        if self._count >= MIN_LOCKED_SAMPLES and (
                last is None or self._monotonic_ns() - last >= self._min_interval_ns):
            self._write()

    def flush(self) -> None:
        """At clean shutdown: store what was gathered since the last write, if enough."""
        if self.path is not None and self._count >= MIN_LOCKED_SAMPLES:
            self._write()

    def _write(self) -> None:
        assert self.path is not None
        mean = self._sum / self._count
        self._sum, self._count = 0.0, 0
        self._last_write_ns = self._monotonic_ns()
        try:
            write_drift(self.path, mean)
        except DriftFileError as exc:
            if exc.reason != self.write_error:  # once per distinct failure, not every minute
                log.warning("%s", exc)
            self.write_error = exc.reason
            return
        self.write_error = None
        self.written_ppb = mean
        self.writes += 1

    def status(self) -> dict[str, Any] | None:
        if self.path is None:
            return None
        return {
            "path": str(self.path),
            "loaded_ppb": self.loaded_ppb,
            "load_error": self.load_error,
            "written_ppb": self.written_ppb,
            "writes": self.writes,
            "write_error": self.write_error,
        }
