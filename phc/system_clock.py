# SPDX-License-Identifier: GPL-2.0-or-later
"""CLOCK_REALTIME behind the Clock protocol.

Reads always work.  Steering the host's clock affects every program on it,
so set_time_ns / adjust_frequency / step refuse unless the caller opted in
with ``SystemClock(allow_steering=True)``.
"""

from __future__ import annotations

import errno

from phc.clock import OffsetMeasurement
from phc.errors import PhcPermissionError, require_frequency_in_range
from phc.libc import clock_adjtime, clock_gettime_ns, clock_settime_ns
from phc.timex_uapi import CLOCK_REALTIME, frequency_request, scaled_ppm_to_ppb, step_request, timex

_NAME = "CLOCK_REALTIME"


class SystemClock:
    """The system clock; steering needs ``allow_steering=True``."""

    def __init__(self, *, allow_steering: bool = False) -> None:
        self._allow_steering = allow_steering

    @property
    def name(self) -> str:
        return _NAME

    @property
    def kind(self) -> str:
        return "system"

    @property
    def allow_steering(self) -> bool:
        return self._allow_steering

    def _check_steering(self, operation: str) -> None:
        if not self._allow_steering:
            raise PhcPermissionError(
                _NAME, operation,
                "steering the system clock needs SystemClock(allow_steering=True)", errno.EPERM)

    def now_ns(self) -> int:
        return clock_gettime_ns(CLOCK_REALTIME, _NAME)

    def read_timex(self) -> timex:
        """The kernel's NTP state (clock_adjtime with modes 0: read-only)."""
        tx = timex(modes=0)
        clock_adjtime(CLOCK_REALTIME, tx, _NAME, "read_timex")
        return tx

    def frequency_ppb(self) -> float:
        return scaled_ppm_to_ppb(int(self.read_timex().freq))

    def max_frequency_ppb(self) -> float:
        """The kernel's frequency tolerance (timex.tolerance, scaled ppm)."""
        return scaled_ppm_to_ppb(int(self.read_timex().tolerance))

    def set_time_ns(self, ns: int) -> None:
        self._check_steering("set_time_ns")
        clock_settime_ns(CLOCK_REALTIME, ns, _NAME)

    def adjust_frequency(self, ppb: float) -> None:
        self._check_steering("adjust_frequency")
        require_frequency_in_range(_NAME, ppb, self.max_frequency_ppb())
        clock_adjtime(CLOCK_REALTIME, frequency_request(ppb), _NAME, "adjust_frequency")

    def step(self, delta_ns: int) -> None:
        self._check_steering("step")
        clock_adjtime(CLOCK_REALTIME, step_request(delta_ns), _NAME, "step")

    def offset_to_system(self, samples: int = 5) -> OffsetMeasurement:
        return OffsetMeasurement(offset_ns=0, delay_ns=0, method="identity", samples=samples)

    def from_system_ns(self, realtime_ns: int) -> int:
        return realtime_ns

    def close(self) -> None:
        """Nothing to release; present for the Clock protocol."""

    def __enter__(self) -> SystemClock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SystemClock(allow_steering={self._allow_steering})"
