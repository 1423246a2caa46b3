# SPDX-License-Identifier: GPL-2.0-or-later
"""Sans-IO NTP server core (RFC 5905, RFC 9769 interleaved mode, RFC 8573 MACs).

The I/O layer feeds `NtpServerCore.handle` with request bytes, the client
address and the kernel receive timestamp, sends what it returns, and
reports kernel transmit timestamps back with `record_tx`.
"""

from ptpbridge.core.ntp.access import AccessConfig, AccessControl
from ptpbridge.core.ntp.interleave import InterleaveConfig
from ptpbridge.core.ntp.keys import KeyFileError, KeyType, SymmetricKey, load_key_file, parse_key_file
from ptpbridge.core.ntp.monitor import ClientRecord, DropReason, ServerCounters
from ptpbridge.core.ntp.ratelimit import RateLimitConfig
from ptpbridge.core.ntp.server import (
    NtpDecision,
    NtpServerConfig,
    NtpServerCore,
    ReplyKind,
    TransmitFill,
    finalize_reply,
)
from ptpbridge.core.ntp.state import ServerTimeState
from ptpbridge.core.ntp.workers import worker_index

__all__ = [
    "AccessConfig",
    "AccessControl",
    "ClientRecord",
    "DropReason",
    "InterleaveConfig",
    "KeyFileError",
    "KeyType",
    "NtpDecision",
    "NtpServerConfig",
    "NtpServerCore",
    "RateLimitConfig",
    "ReplyKind",
    "ServerCounters",
    "ServerTimeState",
    "SymmetricKey",
    "TransmitFill",
    "finalize_reply",
    "load_key_file",
    "parse_key_file",
    "worker_index",
]
