# SPDX-License-Identifier: GPL-2.0-or-later
"""A simulated PHC on an injected base time, fed to a servo one Sync at a time."""

from __future__ import annotations

from phc import SimulatedClock
from ptpbridge.core.servo import Servo, ServoOutput
from ptpbridge.timebase import NS_PER_S

EPOCH = 1_700_000_000 * NS_PER_S


class Rig:
    """The master's true time is ``now``; the servo sees the clock's exact offset from it."""

    def __init__(self, servo: Servo, *, offset_ns: int = 0, error_ppb: float = 0.0,
                 interval_ns: int = NS_PER_S, max_adj_ppb: float = 500_000.0) -> None:
        self.now = EPOCH
        self.servo = servo
        self.interval_ns = interval_ns
        self.clock = SimulatedClock(offset_ns=offset_ns, frequency_error_ppb=error_ppb,
                                    time_source=lambda: self.now, max_adj_ppb=max_adj_ppb)
        self.outputs: list[ServoOutput] = []

    def true_error(self) -> int:
        return self.clock.from_system_ns(self.now) - self.now

    def tick(self, bias_ns: int = 0) -> ServoOutput:
        """One Sync now (measured offset = true error + bias), apply the answer, move on."""
        local = self.clock.from_system_ns(self.now)
        out = self.servo.sample(local - self.now + bias_ns, local)
        if out.step_ns is not None:
            self.clock.step(out.step_ns)
        self.clock.adjust_frequency(out.frequency_ppb)
        self.outputs.append(out)
        self.now += self.interval_ns
        return out

    def run(self, count: int, bias_ns: int = 0) -> list[ServoOutput]:
        return [self.tick(bias_ns) for _ in range(count)]
