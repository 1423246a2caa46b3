# SPDX-License-Identifier: GPL-2.0-or-later
"""The `[discipline]` table: what steers the served clock, with which servo, and the drift file.

Sources: "none" leaves the clock free-running (holdover; a drift file's
frequency is still applied at start), "system" makes the served clock follow
CLOCK_REALTIME (phc2sys in reverse, for hosts kept on time by chrony or NTP),
"ptp" takes the offsets a PTP port in SLAVE measures. With `[[reference]]`
entries (config/references.py) those say what steers, `source` stays "none"
and this table only gives the servo, its thresholds and the drift file.

The servo defaults to the linear-regression one for every source, on the
evidence of `ptpbridge bench servo` (simulated, 16 Sync/s from +1 ms/+50
ppm): without noise every servo settles to 0 ns and linreg takes 4 samples
to PI's 2; with noise it is the one that converges fast and stays there.
50 us path jitter: linreg within 20 us after 0.5 s at 1.7 us RMS, the
hardware-gain PI after 115 s at 10.5 us, the software-gain PI after 49 s at
2.7 us.  A busy host's software timestamps (~2 us of offset noise, 2% of
packets held ~30 us): linreg within 1 us after 7.6 s at 117 ns RMS, the PI
never (1.4 us RMS), the software PI after 116 s.  A 1/s system comparison
with 200 ns of noise: linreg 23 ns RMS, PI 205 ns, software PI 50 ns.  In
the lab (ptp4l grandmaster, software timestamps, 16 Sync/s) linreg's true
time error settled within 1 us of where it stays 6-9 s after start at
140-310 ns standard deviation, linuxptp's PI 17-20 s at 0.6-1.3 us.
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
