# SPDX-License-Identifier: GPL-2.0-or-later
"""The `[discipline]` table: what steers the served clock, with which servo, and the drift file.

Sources: "none" leaves the clock free-running (holdover; a drift file's
frequency is still applied at start), "system" makes the served clock follow
CLOCK_REALTIME (phc2sys in reverse, for hosts kept on time by chrony or NTP),
"ptp" takes the offsets a PTP port in SLAVE measures.

The servo defaults to the linear-regression one for every source, on the
evidence of `ptpbridge bench servo`: without noise every servo settles to
0 ns and linreg takes 4 samples to PI's 2; once offsets carry noise (50 us
path jitter at 16 Sync/s, or 200 ns on a 1/s PHC-to-system comparison) its
steady-state RMS is about 5x below linuxptp's hardware-gain PI, which
follows every noisy offset, and below the software-gain PI, which needs
17 s (1/s) to 49 s (16/s) to converge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ptpbridge.config.base import StrictModel

# The servo "auto" picks, per source; `ptpbridge bench servo` is the evidence.
DEFAULT_SERVO: dict[str, str] = {"none": "linreg", "system": "linreg", "ptp": "linreg"}


class DisciplineConfig(StrictModel):
    """How the daemon steers the clock it serves; absent, the clock runs free."""

    source: Literal["none", "system", "ptp"] = "none"
    servo: Literal["auto", "pi", "pi-sw", "linreg"] = "auto"
    # Seconds between system-clock measurements, as a power of two (chrony's
    # `poll`): 0 is once a second, -4 sixteen times a second.
    log_poll_interval: int = Field(0, ge=-4, le=6)
    # Clock/system comparisons averaged into one measurement (the kernel's
    # PTP_SYS_OFFSET takes at most 25).
    system_samples: int = Field(5, ge=1, le=25)
    # linuxptp's thresholds: step once at start when the offset exceeds the
    # first one; after lock, step only beyond step_threshold_ns (0: never).
    first_step_threshold_ns: int = Field(20_000, ge=0)
    step_threshold_ns: int = Field(0, ge=0)
    # The last good frequency (ppb), read at start and rewritten at most once
    # a minute while locked and at clean shutdown; e.g. /var/lib/ptpbridge/drift.
    drift_file: Path | None = None

    def servo_kind(self) -> str:
        """The servo to build: the configured one, or the source's default for "auto"."""
        return DEFAULT_SERVO[self.source] if self.servo == "auto" else self.servo
