# SPDX-License-Identifier: GPL-2.0-or-later
"""Clock servos: measured offsets in, frequency adjustments and steps out, time injected.

Use the names below; simulate.py (the bench harness) is imported on its own
because it pulls in the simulated clock.
"""

from ptpbridge.core.servo.api import Servo, ServoConfig, ServoOutput, ServoState, ServoStatus
from ptpbridge.core.servo.factory import SERVO_KINDS, create_servo
from ptpbridge.core.servo.linreg import LinRegServo, RegressionEstimate
from ptpbridge.core.servo.pi import HARDWARE_PI, SOFTWARE_PI, PiConstants, PiServo, pi_gains

__all__ = [
    "HARDWARE_PI",
    "SERVO_KINDS",
    "SOFTWARE_PI",
    "LinRegServo",
    "PiConstants",
    "PiServo",
    "RegressionEstimate",
    "Servo",
    "ServoConfig",
    "ServoOutput",
    "ServoState",
    "ServoStatus",
    "create_servo",
    "pi_gains",
]
