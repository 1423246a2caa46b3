# SPDX-License-Identifier: GPL-2.0-or-later
"""IEEE 1588-2019 numbers: the one place that names them.

Message types, flag bit positions, TLV types, management ids, ports,
multicast groups and the ethertype live here and nowhere else; the scapy
layers, the fast codec and the tools import these names instead of
repeating a literal, so each fact can be checked against its source once
(IEEE 1588-2019 clauses 7, 13, 14, 15 and Annexes C/D/E, and linuxptp's
tlv.h for the vendor "_NP" management ids).
"""

from __future__ import annotations

import enum
from typing import Final

# Re-exported for ptpbridge.core.ptp.intervals; the definition lives in timebase.

# --- common header ---------------------------------------------------------

HEADER_LEN: Final = 34
# versionPTP (low nibble of octet 1) this layer speaks; minorVersionPTP 0
# (1588-2008) and 1 (1588-2019) are both accepted.
VERSION_PTP: Final = 2
MINOR_VERSION_PTP: Final = 1
# logMessageInterval for messages whose interval is not meaningful (13.3.2.14).
LOG_INTERVAL_UNSPECIFIED: Final = 0x7F
# TLV header: tlvType (2 octets) + lengthField (2 octets).
TLV_HEADER_LEN: Final = 4
# correctionField and TimeInterval count 2^-16 ns.
CORRECTION_FRACTION_BITS: Final = 16
# Timestamp: secondsField is a UInteger48, nanosecondsField a UInteger32.
TIMESTAMP_LEN: Final = 10
SECONDS_MAX: Final = (1 << 48) - 1
CLOCK_IDENTITY_LEN: Final = 8
PORT_IDENTITY_LEN: Final = 10


class MessageType(enum.IntEnum):
    """messageType (low nibble of octet 0), Table 36."""

    SYNC = 0x0
    DELAY_REQ = 0x1
    PDELAY_REQ = 0x2
    PDELAY_RESP = 0x3
    FOLLOW_UP = 0x8
    DELAY_RESP = 0x9
    PDELAY_RESP_FOLLOW_UP = 0xA
    ANNOUNCE = 0xB
    SIGNALING = 0xC
    MANAGEMENT = 0xD


# Event messages are timestamped and go to UDP port 319.
EVENT_MESSAGES: Final = frozenset(
    {MessageType.SYNC, MessageType.DELAY_REQ, MessageType.PDELAY_REQ, MessageType.PDELAY_RESP}
)

# Octets after the common header up to the first TLV (Tables 44-54).
BODY_LEN: Final[dict[MessageType, int]] = {
    MessageType.SYNC: 10,
    MessageType.DELAY_REQ: 10,
    MessageType.PDELAY_REQ: 20,
    MessageType.PDELAY_RESP: 20,
    MessageType.FOLLOW_UP: 10,
    MessageType.DELAY_RESP: 20,
    MessageType.PDELAY_RESP_FOLLOW_UP: 20,
    MessageType.ANNOUNCE: 30,
    MessageType.SIGNALING: 10,
    MessageType.MANAGEMENT: 14,
}

# controlField (Table 42): kept for 1588-2002 hardware; 5 for all others.
CONTROL_FIELD: Final[dict[MessageType, int]] = {
    MessageType.SYNC: 0,
    MessageType.DELAY_REQ: 1,
    MessageType.FOLLOW_UP: 2,
    MessageType.DELAY_RESP: 3,
    MessageType.MANAGEMENT: 4,
}
CONTROL_FIELD_OTHER: Final = 5

# Types whose logMessageInterval is 0x7F (13.3.2.14); the others carry their
# own log interval (Announce, Sync, Follow_Up, Delay_Resp).
LOG_INTERVAL_UNSPECIFIED_TYPES: Final = frozenset(
    {
        MessageType.DELAY_REQ,
        MessageType.PDELAY_REQ,
        MessageType.PDELAY_RESP,
        MessageType.PDELAY_RESP_FOLLOW_UP,
        MessageType.SIGNALING,
        MessageType.MANAGEMENT,
    }
)


class Flag(enum.IntFlag):
    """flagField bits as one big-endian UInteger16 (Table 37).

    Octet 0 of the field is the high byte, so its bit k is 1 << (8 + k).
    Bits not named here are reserved (bit 15 was 1588-2008 Annex K security).
    """

    # octet 0
    ALTERNATE_MASTER = 1 << 8
    TWO_STEP = 1 << 9
    UNICAST = 1 << 10
    PROFILE_SPECIFIC_1 = 1 << 13
    PROFILE_SPECIFIC_2 = 1 << 14
    # octet 1
    LEAP61 = 1 << 0
    LEAP59 = 1 << 1
    CURRENT_UTC_OFFSET_VALID = 1 << 2
    PTP_TIMESCALE = 1 << 3
    TIME_TRACEABLE = 1 << 4
    FREQUENCY_TRACEABLE = 1 << 5
    SYNCHRONIZATION_UNCERTAIN = 1 << 6


# --- TLVs ----------------------------------------------------------------------


class TlvType(enum.IntEnum):
    """tlvType values (Table 52)."""

    MANAGEMENT = 0x0001
    MANAGEMENT_ERROR_STATUS = 0x0002
    ORGANIZATION_EXTENSION = 0x0003
    REQUEST_UNICAST_TRANSMISSION = 0x0004
    GRANT_UNICAST_TRANSMISSION = 0x0005
    CANCEL_UNICAST_TRANSMISSION = 0x0006
    ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION = 0x0007
    PATH_TRACE = 0x0008
    ALTERNATE_TIME_OFFSET_INDICATOR = 0x0009
    AUTHENTICATION_2008 = 0x2000
    AUTHENTICATION_CHALLENGE_2008 = 0x2001
    SECURITY_ASSOCIATION_UPDATE_2008 = 0x2002
    CUM_FREQ_SCALE_FACTOR_OFFSET_2008 = 0x2003
    ORGANIZATION_EXTENSION_PROPAGATE = 0x4000
    ENHANCED_ACCURACY_METRICS = 0x4001
    ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE = 0x8000
    L1_SYNC = 0x8001
    PORT_COMMUNICATION_AVAILABILITY = 0x8002
    PROTOCOL_ADDRESS = 0x8003
    SLAVE_RX_SYNC_TIMING_DATA = 0x8004
    SLAVE_RX_SYNC_COMPUTED_DATA = 0x8005
    SLAVE_TX_EVENT_TIMESTAMPS = 0x8006
    CUMULATIVE_RATE_RATIO = 0x8007
    PAD = 0x8008
    AUTHENTICATION = 0x8009


class ActionField(enum.IntEnum):
    """Management actionField (low nibble of octet 12 of the body, Table 57)."""

    GET = 0
    SET = 1
    RESPONSE = 2
    COMMAND = 3
    ACKNOWLEDGE = 4


class ManagementId(enum.IntEnum):
    """managementId values (Table 59); 0xC000.. are linuxptp's vendor ids."""

    NULL_PTP_MANAGEMENT = 0x0000
    CLOCK_DESCRIPTION = 0x0001
    USER_DESCRIPTION = 0x0002
    SAVE_IN_NON_VOLATILE_STORAGE = 0x0003
    RESET_NON_VOLATILE_STORAGE = 0x0004
    INITIALIZE = 0x0005
    FAULT_LOG = 0x0006
    FAULT_LOG_RESET = 0x0007
    DEFAULT_DATA_SET = 0x2000
    CURRENT_DATA_SET = 0x2001
    PARENT_DATA_SET = 0x2002
    TIME_PROPERTIES_DATA_SET = 0x2003
    PORT_DATA_SET = 0x2004
    PRIORITY1 = 0x2005
    PRIORITY2 = 0x2006
    DOMAIN = 0x2007
    SLAVE_ONLY = 0x2008
    LOG_ANNOUNCE_INTERVAL = 0x2009
    ANNOUNCE_RECEIPT_TIMEOUT = 0x200A
    LOG_SYNC_INTERVAL = 0x200B
    VERSION_NUMBER = 0x200C
    ENABLE_PORT = 0x200D
    DISABLE_PORT = 0x200E
    TIME = 0x200F
    CLOCK_ACCURACY = 0x2010
    UTC_PROPERTIES = 0x2011
    TRACEABILITY_PROPERTIES = 0x2012
    TIMESCALE_PROPERTIES = 0x2013
    UNICAST_NEGOTIATION_ENABLE = 0x2014
    PATH_TRACE_LIST = 0x2015
    PATH_TRACE_ENABLE = 0x2016
    GRANDMASTER_CLUSTER_TABLE = 0x2017
    UNICAST_MASTER_TABLE = 0x2018
    UNICAST_MASTER_MAX_TABLE_SIZE = 0x2019
    ACCEPTABLE_MASTER_TABLE = 0x201A
    ACCEPTABLE_MASTER_TABLE_ENABLED = 0x201B
    ACCEPTABLE_MASTER_MAX_TABLE_SIZE = 0x201C
    ALTERNATE_MASTER = 0x201D
    ALTERNATE_TIME_OFFSET_ENABLE = 0x201E
    ALTERNATE_TIME_OFFSET_NAME = 0x201F
    ALTERNATE_TIME_OFFSET_MAX_KEY = 0x2020
    ALTERNATE_TIME_OFFSET_PROPERTIES = 0x2021
    TRANSPARENT_CLOCK_DEFAULT_DATA_SET = 0x4000
    TRANSPARENT_CLOCK_PORT_DATA_SET = 0x4001
    PRIMARY_DOMAIN = 0x4002
    DELAY_MECHANISM = 0x6000
    LOG_MIN_PDELAY_REQ_INTERVAL = 0x6001
    TIME_STATUS_NP = 0xC000
    GRANDMASTER_SETTINGS_NP = 0xC001
    PORT_DATA_SET_NP = 0xC002
    SUBSCRIBE_EVENTS_NP = 0xC003
    PORT_PROPERTIES_NP = 0xC004
    PORT_STATS_NP = 0xC005
    SYNCHRONIZATION_UNCERTAIN_NP = 0xC006


class ManagementErrorId(enum.IntEnum):
    """managementErrorId values (Table 109)."""

    RESPONSE_TOO_BIG = 0x0001
    NO_SUCH_ID = 0x0002
    WRONG_LENGTH = 0x0003
    WRONG_VALUE = 0x0004
    NOT_SETABLE = 0x0005
    NOT_SUPPORTED = 0x0006
    UNPOPULATED = 0x0007
    GENERAL_ERROR = 0xFFFE


# Flag bits inside management data sets (octet-wide "flags" fields, clause 15.5.3).
DDS_FLAG_TWO_STEP: Final = 1 << 0  # DEFAULT_DATA_SET TSC
DDS_FLAG_SLAVE_ONLY: Final = 1 << 1  # DEFAULT_DATA_SET SO
SLAVE_ONLY_FLAG: Final = 1 << 0  # SLAVE_ONLY SO
PDS_FLAG_PARENT_STATS: Final = 1 << 0  # PARENT_DATA_SET PS
# TIME_PROPERTIES_DATA_SET / UTC_PROPERTIES / TRACEABILITY / TIMESCALE flags
# share the bit positions of flagField octet 1.
TP_FLAG_LEAP61: Final = 1 << 0
TP_FLAG_LEAP59: Final = 1 << 1
TP_FLAG_UTC_OFFSET_VALID: Final = 1 << 2
TP_FLAG_PTP_TIMESCALE: Final = 1 << 3
TP_FLAG_TIME_TRACEABLE: Final = 1 << 4
TP_FLAG_FREQUENCY_TRACEABLE: Final = 1 << 5
# GRANT_UNICAST_TRANSMISSION flags octet, and CANCEL/ACKNOWLEDGE_CANCEL low nibble.
GRANT_FLAG_RENEWAL_INVITED: Final = 1 << 0
CANCEL_FLAG_MAINTAIN_REQUEST: Final = 1 << 0
CANCEL_FLAG_MAINTAIN_GRANT: Final = 1 << 1


class ClockType(enum.IntFlag):
    """CLOCK_DESCRIPTION clockType bits (Table 98), a big-endian UInteger16."""

    ORDINARY = 0x8000
    BOUNDARY = 0x4000
    P2P_TRANSPARENT = 0x2000
    E2E_TRANSPARENT = 0x1000
    MANAGEMENT_NODE = 0x0800


class NetworkProtocol(enum.IntEnum):
    """PortAddress networkProtocol (Table 4)."""

    UDP_IPV4 = 1
    UDP_IPV6 = 2
    IEEE_802_3 = 3
    DEVICENET = 4
    CONTROLNET = 5
    PROFINET = 6


class TimeSource(enum.IntEnum):
    """timeSource (Table 6)."""

    ATOMIC_CLOCK = 0x10
    GNSS = 0x20
    TERRESTRIAL_RADIO = 0x30
    SERIAL_TIME_CODE = 0x39
    PTP = 0x40
    NTP = 0x50
    HAND_SET = 0x60
    OTHER = 0x90
    INTERNAL_OSCILLATOR = 0xA0


class ClockAccuracy(enum.IntEnum):
    """clockAccuracy (Table 5): the bound on the time error to the primary reference."""

    PS_1 = 0x17
    PS_2_5 = 0x18
    PS_10 = 0x19
    PS_25 = 0x1A
    PS_100 = 0x1B
    PS_250 = 0x1C
    NS_1 = 0x1D
    NS_2_5 = 0x1E
    NS_10 = 0x1F
    NS_25 = 0x20
    NS_100 = 0x21
    NS_250 = 0x22
    US_1 = 0x23
    US_2_5 = 0x24
    US_10 = 0x25
    US_25 = 0x26
    US_100 = 0x27
    US_250 = 0x28
    MS_1 = 0x29
    MS_2_5 = 0x2A
    MS_10 = 0x2B
    MS_25 = 0x2C
    MS_100 = 0x2D
    MS_250 = 0x2E
    S_1 = 0x2F
    S_10 = 0x30
    S_MORE_THAN_10 = 0x31
    UNKNOWN = 0xFE


class PortState(enum.IntEnum):
    """portState (Table 20)."""

    INITIALIZING = 1
    FAULTY = 2
    DISABLED = 3
    LISTENING = 4
    PRE_MASTER = 5
    MASTER = 6
    PASSIVE = 7
    UNCALIBRATED = 8
    SLAVE = 9


class DelayMechanism(enum.IntEnum):
    """delayMechanism (Table 21)."""

    E2E = 0x01
    P2P = 0x02
    COMMON_P2P = 0x03
    SPECIAL = 0x04
    NO_MECHANISM = 0xFE


class LinuxptpTimestamping(enum.IntEnum):
    """PORT_PROPERTIES_NP timestamping octet (linuxptp's enum timestamp_type)."""

    SOFTWARE = 0
    HARDWARE = 1
    LEGACY_HW = 2
    ONESTEP = 3
    P2P1STEP = 4


# --- transports (Annexes C, D, E) ------------------------------------------------

EVENT_PORT: Final = 319
GENERAL_PORT: Final = 320
ETHERTYPE_PTP: Final = 0x88F7
ETHERTYPE_VLAN: Final = 0x8100

IPV4_PRIMARY: Final = "224.0.1.129"
IPV4_PDELAY: Final = "224.0.0.107"
IPV6_PRIMARY: Final = "ff0e::181"
IPV6_PDELAY: Final = "ff02::6b"
MAC_PRIMARY: Final = "01:1b:19:00:00:00"
MAC_PDELAY: Final = "01:80:c2:00:00:0e"

# majorSdoId (transportSpecific) 1 marks IEEE 802.1AS (gPTP) messages.
MAJOR_SDO_ID_GPTP: Final = 1
