# SPDX-License-Identifier: GPL-2.0-or-later
"""NTP wire format: packet codec, timestamp conversions, reference ids.

Pure functions over bytes and integers; no I/O, no clock reads.
"""

from ptpbridge.wire.ntp.constants import (
    NTP_PORT,
    NTP_UNIX_EPOCH_OFFSET_S,
    ExtensionFieldType,
    KissCode,
    Leap,
    Mode,
)
from ptpbridge.wire.ntp.errors import NtpParseError
from ptpbridge.wire.ntp.packet import (
    ExtensionField,
    Mac,
    NtpPacket,
    decode,
    encode,
    patch_transmit,
)
from ptpbridge.wire.ntp.refid import refid_ascii, refid_for_source, refid_ipv4, refid_ipv6
from ptpbridge.wire.ntp.timestamps import (
    ns_to_ntp_short,
    ntp64_to_utc_ns,
    ntp64_to_utc_ns_in_era,
    ntp_short_to_ns,
    utc_ns_to_ntp64,
    utc_ns_to_ntp_era,
)

__all__ = [
    "NTP_PORT",
    "NTP_UNIX_EPOCH_OFFSET_S",
    "ExtensionField",
    "ExtensionFieldType",
    "KissCode",
    "Leap",
    "Mac",
    "Mode",
    "NtpPacket",
    "NtpParseError",
    "decode",
    "encode",
    "ns_to_ntp_short",
    "ntp64_to_utc_ns",
    "ntp64_to_utc_ns_in_era",
    "ntp_short_to_ns",
    "patch_transmit",
    "refid_ascii",
    "refid_for_source",
    "refid_ipv4",
    "refid_ipv6",
    "utc_ns_to_ntp64",
    "utc_ns_to_ntp_era",
]
