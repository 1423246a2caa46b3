# SPDX-License-Identifier: GPL-2.0-or-later
"""`[time]`: TAI - UTC, where leap seconds come from, and a lab-only leap at a chosen instant."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, field_validator

from ptpbridge.config.base import StrictModel
from ptpbridge.refs.civil import SECONDS_PER_DAY
from ptpbridge.refs.leapwindow import DEFAULT_WINDOW_NS
from ptpbridge.timebase import DEFAULT_UTC_OFFSET_S, NS_PER_S

# 12 hours: see ptpbridge.refs.leapwindow for why PTP and NTP share this window.
DEFAULT_LEAP_WINDOW_S = DEFAULT_WINDOW_NS // NS_PER_S


class LabLeapConfig(StrictModel):
    """LABS ONLY: a leap second at any whole second, instead of what a leap file says.

    A real leap happens only at a UTC midnight, which a lab test cannot wait
    for; this makes the daemon behave as if the leap file announced one at
    ``at_utc`` (the first second of the new offset: the instant that would be
    00:00:00). The machine's own clock never leaps, so the lab's truth
    (TAI - CLOCK_REALTIME) keeps the offset the daemon started with.
    """

    at_utc: AwareDatetime
    kind: Literal["insert", "delete"] = "insert"

    @field_validator("at_utc")
    @classmethod
    def _whole_second(cls, value: AwareDatetime) -> AwareDatetime:
        if value.microsecond:
            raise ValueError("a leap happens at a whole second")
        return value


class TimeConfig(StrictModel):
    """TAI - UTC and the leap second source.

    ``utc_offset_s`` holds until a usable leap second file says otherwise.
    ``leapfile``: "auto" (the system's IERS leap-seconds.list, else tzdata's
    ``leapseconds``), "none", or a path. A file that is missing, damaged or
    expired is reported in `ptpbridge status` and the log, never fatal.
    """

    utc_offset_s: int = Field(DEFAULT_UTC_OFFSET_S, ge=0, le=1000)
    leapfile: str = Field("auto", min_length=1)
    # How long before a leap PTP leap61/leap59 and NTP's leap indicator are up (at most a day).
    leap_window_s: int = Field(DEFAULT_LEAP_WINDOW_S, ge=1, le=SECONDS_PER_DAY)
    # LABS ONLY (see LabLeapConfig); absent in every real deployment.
    lab_leap: LabLeapConfig | None = None
