# SPDX-License-Identifier: GPL-2.0-or-later
"""Servos by name, so config files, the bench command and tests pick them the same way."""

from __future__ import annotations

from ptpbridge.core.servo.api import Servo, ServoConfig
from ptpbridge.core.servo.linreg import LinRegServo
from ptpbridge.core.servo.pi import HARDWARE_PI, SOFTWARE_PI, PiServo

# "pi" uses linuxptp's hardware-timestamp gains, "pi-sw" its software ones.
SERVO_KINDS: tuple[str, ...] = ("pi", "pi-sw", "linreg")


def create_servo(
    kind: str,
    *,
    max_frequency_ppb: float,
    sync_interval_s: float = 1.0,
    initial_frequency_ppb: float = 0.0,
    config: ServoConfig | None = None,
) -> Servo:
    """A new servo of ``kind`` (one of SERVO_KINDS)."""
    if kind in ("pi", "pi-sw"):
        return PiServo(max_frequency_ppb, constants=HARDWARE_PI if kind == "pi" else SOFTWARE_PI,
                       config=config, sync_interval_s=sync_interval_s,
                       initial_frequency_ppb=initial_frequency_ppb)
    if kind == "linreg":
        return LinRegServo(max_frequency_ppb, config=config, sync_interval_s=sync_interval_s,
                           initial_frequency_ppb=initial_frequency_ppb)
    raise ValueError(f"unknown servo {kind!r}; choose one of {', '.join(SERVO_KINDS)}")
