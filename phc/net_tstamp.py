"""Kernel timestamping constants (linux/net_tstamp.h, asm-generic/socket.h,
linux/errqueue.h): the one place in the project that names them.

Values are the kernel ABI; tests/phc compiles a C program against the
machine's headers to prove every number here.
"""

from __future__ import annotations

import enum

# Socket options / control-message types (64-bit time_t ABI: the _OLD values).
SO_TIMESTAMPING = 37
SCM_TIMESTAMPING = SO_TIMESTAMPING
SO_SELECT_ERR_QUEUE = 45
SCM_TIMESTAMPING_PKTINFO = 58
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_MULTICAST = 0

# linux/errqueue.h: sock_extended_err.ee_origin for timestamp reports
SO_EE_ORIGIN_TIMESTAMPING = 4
# The cmsg type of the extended error for IPv4 / IPv6 / packet sockets.
IP_RECVERR = 11
IPV6_RECVERR = 25
PACKET_TX_TIMESTAMP = 16
# SCM_TSTAMP_* : which point in the stack a TX timestamp was taken at (ee_info)
SCM_TSTAMP_SND = 0
SCM_TSTAMP_SCHED = 1
SCM_TSTAMP_ACK = 2


class SofFlag(enum.IntFlag):
    """SOF_TIMESTAMPING_* bits for SO_TIMESTAMPING and ethtool's so_timestamping."""

    TX_HARDWARE = 1 << 0
    TX_SOFTWARE = 1 << 1
    RX_HARDWARE = 1 << 2
    RX_SOFTWARE = 1 << 3
    SOFTWARE = 1 << 4
    SYS_HARDWARE = 1 << 5
    RAW_HARDWARE = 1 << 6
    OPT_ID = 1 << 7
    TX_SCHED = 1 << 8
    TX_ACK = 1 << 9
    OPT_CMSG = 1 << 10
    OPT_TSONLY = 1 << 11
    OPT_STATS = 1 << 12
    OPT_PKTINFO = 1 << 13
    OPT_TX_SWHW = 1 << 14
    BIND_PHC = 1 << 15


class HwTstampTx(enum.IntEnum):
    """HWTSTAMP_TX_*: what the NIC stamps on transmit."""

    OFF = 0
    ON = 1
    ONESTEP_SYNC = 2
    ONESTEP_P2P = 3


class HwTstampFilter(enum.IntEnum):
    """HWTSTAMP_FILTER_*: which received packets the NIC stamps."""

    NONE = 0
    ALL = 1
    SOME = 2
    PTP_V1_L4_EVENT = 3
    PTP_V1_L4_SYNC = 4
    PTP_V1_L4_DELAY_REQ = 5
    PTP_V2_L4_EVENT = 6
    PTP_V2_L4_SYNC = 7
    PTP_V2_L4_DELAY_REQ = 8
    PTP_V2_L2_EVENT = 9
    PTP_V2_L2_SYNC = 10
    PTP_V2_L2_DELAY_REQ = 11
    PTP_V2_EVENT = 12
    PTP_V2_SYNC = 13
    PTP_V2_DELAY_REQ = 14
    NTP_ALL = 15
