# SPDX-License-Identifier: GPL-2.0-or-later
"""Sans-IO upstream NTP client: per-source polling and clock filter, then source selection.

RFC 5905 sections 8-13 with chrony's iburst and pool behaviour, in integer
ns with time injected: `NtpSource` per server address, `NtpPool` for pool
entries, `select_sources` (or `NtpClientCore.select`) for the system
offset, and plain-data `SelectionResult` / `SourceStatus` for the daemon.
"""

from ptpbridge.core.ntp_client.client import NtpClientCore
from ptpbridge.core.ntp_client.drops import DropReason
from ptpbridge.core.ntp_client.filter import ClockFilter, FilterOutput, FilterStage
from ptpbridge.core.ntp_client.poll import PollControl
from ptpbridge.core.ntp_client.pool import NtpPool
from ptpbridge.core.ntp_client.reach import ReachRegister
from ptpbridge.core.ntp_client.selection import Candidate, Intersection, cluster, combine, intersect
from ptpbridge.core.ntp_client.source import NtpSource, Sample
from ptpbridge.core.ntp_client.status import (
    SelectionResult,
    SourceKind,
    SourceState,
    SourceStatus,
    Verdict,
)
from ptpbridge.core.ntp_client.syspoll import SystemPoll
from ptpbridge.core.ntp_client.system import select_sources
from ptpbridge.core.ntp_client.tuning import DEFAULT_TUNING, ClientTuning

__all__ = [
    "DEFAULT_TUNING",
    "Candidate",
    "ClientTuning",
    "ClockFilter",
    "DropReason",
    "FilterOutput",
    "FilterStage",
    "Intersection",
    "NtpClientCore",
    "NtpPool",
    "NtpSource",
    "PollControl",
    "ReachRegister",
    "Sample",
    "SelectionResult",
    "SourceKind",
    "SourceState",
    "SourceStatus",
    "SystemPoll",
    "Verdict",
    "cluster",
    "combine",
    "intersect",
    "select_sources",
]
