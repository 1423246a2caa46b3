# SPDX-License-Identifier: GPL-2.0-or-later
"""IEEE 1588-2019 (PTP v2/v2.1) messages.

Modules, by job:

* ``constants``  every protocol number (message types, flags, TLV types, ports, groups)
* ``values``     Timestamp, TimeInterval, ClockIdentity, PortIdentity, ClockQuality
* ``errors``     PtpParseError, PtpEncodeError
* ``fast``       the per-packet struct codec and patchable templates (no scapy)
* ``layers``     scapy layers: the readable definition (header, bodies, bindings)
* ``tlvs``       scapy TLV layers and the TLV / management registries
* ``management`` scapy layers for management data sets
* ``fields``     scapy fields valued with our value types
* ``frames``     finding PTP in captured frames; building UDPv4/UDPv6/L2 frames
* ``describe``   plain-data views of dissected messages (decode command, logs)

Importing this package does not import scapy; ``layers`` does.
"""

from ptpbridge.wire.ptp.errors import PtpEncodeError, PtpParseError
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity, Timestamp, TimeInterval

__all__ = [
    "ClockIdentity",
    "ClockQuality",
    "PortIdentity",
    "PtpEncodeError",
    "PtpParseError",
    "TimeInterval",
    "Timestamp",
]
