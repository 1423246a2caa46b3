# SPDX-License-Identifier: GPL-2.0-or-later
"""Decoding the control messages that carry kernel timestamps.

RX: an SCM_TIMESTAMPING cmsg (struct scm_timestamping: three timespecs,
[0] software, [1] legacy and unused, [2] raw hardware).
TX: a message read from the error queue with the same cmsg plus a struct
sock_extended_err whose ee_data is the OPT_ID key of the send it belongs to.
Pure functions over ``recvmsg`` ancillary data, so they are tested without sockets.
"""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from phc.net_tstamp import (
    IP_RECVERR,
    IPV6_RECVERR,
    PACKET_TX_TIMESTAMP,
    SCM_TIMESTAMPING,
    SCM_TSTAMP_SND,
    SO_EE_ORIGIN_TIMESTAMPING,
    SOL_PACKET,
)

from ptpbridge.timebase import NS_PER_S

from .timestamps import TimestampSource

# struct scm_timestamping for SO_TIMESTAMPING_OLD: three struct timespec of C longs.
_SCM_TIMESTAMPING = struct.Struct("@6l")
# struct sock_extended_err: ee_errno, ee_origin, ee_type, ee_code, ee_pad, ee_info, ee_data.
_SOCK_EXTENDED_ERR = struct.Struct("=IBBBBII")
# Where each socket family puts sock_extended_err on the error queue.
_EXTENDED_ERR_CMSGS = frozenset(
    {(socket.IPPROTO_IP, IP_RECVERR), (socket.IPPROTO_IPV6, IPV6_RECVERR), (SOL_PACKET, PACKET_TX_TIMESTAMP)}
)
# Room for scm_timestamping plus sock_extended_err with an IPv6 offender address.
_SOCKADDR_IN6_SIZE = 28
ANCILLARY_BUFSIZE = (
    socket.CMSG_SPACE(_SCM_TIMESTAMPING.size)
    + socket.CMSG_SPACE(_SOCK_EXTENDED_ERR.size + _SOCKADDR_IN6_SIZE)
    + 64  # slack for a cmsg we did not ask for, so ours is never truncated
)

Ancillary = Iterable[tuple[int, int, bytes]]


def scm_timestamps(data: bytes) -> tuple[int, int, int]:
    """The three timespecs of struct scm_timestamping as integer ns (0 = absent)."""
    s0, n0, s1, n1, s2, n2 = _SCM_TIMESTAMPING.unpack_from(data)
    return (s0 * NS_PER_S + n0, s1 * NS_PER_S + n1, s2 * NS_PER_S + n2)


def pick(stamps: tuple[int, int, int], source: TimestampSource) -> int | None:
    """The slot the socket's mode fills: [0] software, [2] raw hardware."""
    value = stamps[2] if source == "hardware" else stamps[0]
    return value if value != 0 else None


@dataclass(frozen=True, slots=True)
class ExtendedErr:
    """struct sock_extended_err, field for field."""

    errno: int
    origin: int
    type: int
    code: int
    info: int
    data: int

    @property
    def is_tx_timestamp(self) -> bool:
        """A transmit (SND) timestamp report rather than e.g. an ICMP error."""
        return (
            self.errno == errno.ENOMSG
            and self.origin == SO_EE_ORIGIN_TIMESTAMPING
            and self.info == SCM_TSTAMP_SND
        )


def parse_extended_err(data: bytes) -> ExtendedErr:
    """Decode sock_extended_err (ignoring the offender address after it)."""
    e, origin, type_, code, _pad, info, value = _SOCK_EXTENDED_ERR.unpack_from(data)
    return ExtendedErr(e, origin, type_, code, info, value)


def rx_timestamp(ancdata: Ancillary, source: TimestampSource) -> int | None:
    """The raw kernel RX timestamp of a datagram, or None if the kernel gave none."""
    for level, type_, data in ancdata:
        if level == socket.SOL_SOCKET and type_ == SCM_TIMESTAMPING:
            if len(data) < _SCM_TIMESTAMPING.size:
                return None
            return pick(scm_timestamps(data), source)
    return None


@dataclass(frozen=True, slots=True)
class TxReport:
    """One transmit timestamp from the error queue: OPT_ID key and raw kernel ns."""

    key: int
    raw_ns: int


def tx_report(ancdata: Ancillary, source: TimestampSource) -> TxReport | ExtendedErr | None:
    """Classify one error-queue message.

    A TxReport when it is a SND timestamp of the expected source; the bare
    ExtendedErr for anything else the error queue held (ICMP errors, other
    timestamp kinds); None when it carried no extended error at all.
    """
    err: ExtendedErr | None = None
    raw: int | None = None
    for level, type_, data in ancdata:
        if level == socket.SOL_SOCKET and type_ == SCM_TIMESTAMPING:
            if len(data) >= _SCM_TIMESTAMPING.size:
                raw = pick(scm_timestamps(data), source)
        elif (level, type_) in _EXTENDED_ERR_CMSGS and len(data) >= _SOCK_EXTENDED_ERR.size:
            err = parse_extended_err(data)
    if err is None:
        return None
    if err.is_tx_timestamp and raw is not None:
        return TxReport(err.data, raw)
    return err
