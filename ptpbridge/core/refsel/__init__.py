# SPDX-License-Identifier: GPL-2.0-or-later
"""Sans-IO reference selection: which reference steers, holdover, and the quality we announce.

`ReferenceSelector` picks among references by priority and health with
fail-back hysteresis; `HoldoverTracker` turns "tracking or not" into the
clock state (locked, holdover, degraded, local, free-run); `assess` turns
that state and the reference's figures into one `TimeQuality`, the single
object the PTP and NTP services announce from. `FrequencyMemory` keeps the
last good frequency for holdover. Time is injected (monotonic ns).
"""

from ptpbridge.core.refsel.frequency import FrequencyMemory
from ptpbridge.core.refsel.holdover import ClockState, HoldoverTracker
from ptpbridge.core.refsel.quality import (
    LocalQuality,
    QualityPolicy,
    ReferenceFigures,
    TimeQuality,
    accuracy_code,
    assess,
)
from ptpbridge.core.refsel.selector import Choice, ReferenceSelector, Switch

__all__ = [
    "Choice",
    "ClockState",
    "FrequencyMemory",
    "HoldoverTracker",
    "LocalQuality",
    "QualityPolicy",
    "ReferenceFigures",
    "ReferenceSelector",
    "Switch",
    "TimeQuality",
    "accuracy_code",
    "assess",
]
