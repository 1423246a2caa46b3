# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared pieces of the reference-source tests: a settable clock and pty reads."""

from __future__ import annotations

import calendar
import os
import select

NS = 1_000_000_000


def posix(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """POSIX seconds by the standard library's own calendar (not the code under test)."""
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


class FakeTime:
    """The test's CLOCK_REALTIME: set by hand, read by the simulated clock and stand-ins."""

    def __init__(self, now_ns: int) -> None:
        self.now = now_ns

    def __call__(self) -> int:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += round(seconds * NS)


def read_exact(fd: int, count: int, timeout_s: float = 5.0) -> bytes:
    """``count`` bytes from a pty slave; fails the test rather than hanging."""
    data = bytearray()
    while len(data) < count:
        ready, _, _ = select.select([fd], [], [], timeout_s)
        assert ready, f"pty gave {len(data)} of {count} bytes"
        data += os.read(fd, count - len(data))
    return bytes(data)
