# SPDX-License-Identifier: GPL-2.0-or-later
"""recvmmsg/sendmmsg through ctypes: a batch of datagrams per system call, buffers made once.

Python's socket module moves one datagram per call, and at tens of
thousands of datagrams a second the per-call cost is most of the work, in
the daemon's unicast PTP path and in the benchmarks' load generators alike.
A RecvRing takes up to `count` datagrams with their sender (sockaddr) and
control messages (the kernel RX timestamp) in one recvmmsg; a SendRing
sends `k` prepared datagrams of one size, each to its own sockaddr, in one
sendmmsg; a SendBatch sends prepared datagrams to one IPv4 server, each
from its own source address (IP_PKTINFO); SendSlots sends datagrams of
their own lengths, each to its own sockaddr and each with or without one
prepared control message (a server's replies, some TX-timestamped). Data, addresses and the
per-message results are exposed as memoryviews and read with precompiled
structs: a ctypes attribute access per field would cost more than the rest
of the work.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
from collections.abc import Iterator
from typing import Final

from phc.net_tstamp import SCM_TIMESTAMPING
from ptpbridge.io.cmsg import ANCILLARY_BUFSIZE, pick, scm_timestamps
from ptpbridge.io.timestamps import TimestampSource
from ptpbridge.timebase import NS_PER_S

_libc = ctypes.CDLL(None, use_errno=True)

MSG_DONTWAIT: Final = 0x40
SOL_IP: Final = 0
IP_PKTINFO: Final = 8
MSG_TRUNC: Final = 0x20
SOCKADDR_SIZE: Final[dict[int, int]] = {socket.AF_INET: 16, socket.AF_INET6: 28}
# Where the address proper lies in each sockaddr: sin_addr; sin6_addr with sin6_scope_id.
ADDRESS_SPAN: Final[dict[int, tuple[int, int]]] = {socket.AF_INET: (4, 8), socket.AF_INET6: (8, 28)}
NAME_SLOT: Final = 28  # room for either family
# struct cmsghdr: size_t cmsg_len, int cmsg_level, int cmsg_type; data aligned to size_t.
_CMSG_HDR: Final = struct.Struct("@Nii")
# A cmsghdr directly followed by struct scm_timestamping (three timespecs of C longs):
# where the RX timestamp sits when it is the only control message, as it normally is.
CMSG_STAMPS: Final = struct.Struct("@Nii6l")
_ALIGN: Final = ctypes.sizeof(ctypes.c_size_t)
_SA_FAMILY: Final = struct.Struct("=H")  # host order
_SOCKADDR_PORT: Final = struct.Struct("!H")  # sin_port / sin6_port, after the family
_SOCKADDR_FLOW: Final = struct.Struct("!I")  # sin6_flowinfo
_SA_SCOPE: Final = struct.Struct("=I")  # sin6_scope_id, host order
_PKTINFO: Final = struct.Struct("@i4s4s")  # struct in_pktinfo: ifindex, spec_dst, addr
_PKTINFO_SPACE: Final = socket.CMSG_SPACE(_PKTINFO.size)


class _Iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [
        ("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
        ("msg_iov", ctypes.POINTER(_Iovec)), ("msg_iovlen", ctypes.c_size_t),
        ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
        ("msg_flags", ctypes.c_int),
    ]


class _Mmsghdr(ctypes.Structure):
    _fields_ = [("msg_hdr", _Msghdr), ("msg_len", ctypes.c_uint)]


_libc.recvmmsg.argtypes = [ctypes.c_int, ctypes.POINTER(_Mmsghdr), ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
_libc.recvmmsg.restype = ctypes.c_int
_libc.sendmmsg.argtypes = [ctypes.c_int, ctypes.POINTER(_Mmsghdr), ctypes.c_uint, ctypes.c_int]
_libc.sendmmsg.restype = ctypes.c_int

# The same two calls without argtypes, for the per-batch hot paths: converting a
# ctypes array through argtypes costs more than the system call's entry (~0.7 us
# of ~1.3 us here); these take the buffer's address as a prepared c_void_p.
_raw_libc = ctypes.CDLL(None, use_errno=True)
_recvmmsg_raw = _raw_libc.recvmmsg
_recvmmsg_raw.restype = ctypes.c_int
_sendmmsg_raw = _raw_libc.sendmmsg
_sendmmsg_raw.restype = ctypes.c_int

_MMSG_SIZE: Final = ctypes.sizeof(_Mmsghdr)
_OFF_CONTROLLEN: Final = _Msghdr.msg_controllen.offset
_OFF_FLAGS: Final = _Msghdr.msg_flags.offset
_OFF_LEN: Final = _Mmsghdr.msg_len.offset
# One whole struct mmsghdr, yielding msg_controllen (size_t), msg_flags (int), msg_len (unsigned int).
_RESULTS: Final = struct.Struct(
    f"@{_OFF_CONTROLLEN}xN{_OFF_FLAGS - _OFF_CONTROLLEN - _ALIGN}xi{_OFF_LEN - _OFF_FLAGS - 4}xI"
    f"{_MMSG_SIZE - _OFF_LEN - 4}x"
)
assert _RESULTS.size == _MMSG_SIZE


def _failed(tolerated: tuple[int, ...]) -> int:
    """0 for a failed call whose errno is one of `tolerated` (nothing to do now), else OSError."""
    err = ctypes.get_errno()
    if err in tolerated:
        return 0
    raise OSError(err, os.strerror(err))


def _buffer(size: int) -> tuple[ctypes.Array[ctypes.c_char], memoryview]:
    raw = (ctypes.c_char * size)()
    return raw, memoryview(raw).cast("B")


class RecvRing:
    """Up to `count` datagrams of at most `size` octets per recvmmsg, with sender and cmsgs."""

    def __init__(self, count: int, size: int, family: int) -> None:
        self.count = count
        self.size = size
        self.name_size = SOCKADDR_SIZE[family]
        self._data, self.data = _buffer(count * size)
        self._names, self.names = _buffer(count * NAME_SLOT)
        self._control, self.control = _buffer(count * ANCILLARY_BUFSIZE)
        self._iov = (_Iovec * count)()
        self._msgs = (_Mmsghdr * count)()
        self._headers = memoryview(self._msgs).cast("B")
        base, names, control = (ctypes.addressof(b) for b in (self._data, self._names, self._control))
        for i in range(count):
            self._iov[i].iov_base = base + i * size
            self._iov[i].iov_len = size
            hdr = self._msgs[i].msg_hdr
            hdr.msg_name = names + i * NAME_SLOT
            hdr.msg_namelen = NAME_SLOT
            hdr.msg_iov = ctypes.pointer(self._iov[i])
            hdr.msg_iovlen = 1
            hdr.msg_control = control + i * ANCILLARY_BUFSIZE
            hdr.msg_controllen = ANCILLARY_BUFSIZE
        # The kernel shrinks namelen/controllen to what it wrote: this image restores them.
        self._pristine = bytes(self._headers)
        self._head = ctypes.c_void_p(ctypes.addressof(self._msgs))

    def receive(self, fd: int) -> int:
        """Datagrams now waiting, up to `count` (0 if none); OSError for a socket error."""
        self._headers[:] = self._pristine
        n = _recvmmsg_raw(fd, self._head, self.count, MSG_DONTWAIT, None)
        return int(n) if n >= 0 else _failed((errno.EAGAIN, errno.EINTR))

    def results(self, n: int) -> Iterator[tuple[int, int, int]]:
        """(control length, msg_flags, length) of datagrams 0..n-1, in one C loop."""
        return _RESULTS.iter_unpack(self._headers[:n * _MMSG_SIZE])

    def timestamp(self, i: int, controllen: int, source: TimestampSource) -> int | None:
        """Datagram i's raw kernel RX timestamp (software or hardware slot), None if absent.

        The timestamp cmsg is normally the only one, at the start: read in one
        unpack; anything else is walked cmsg by cmsg.
        """
        view = self.control
        offset = i * ANCILLARY_BUFSIZE
        if controllen >= CMSG_STAMPS.size:
            length, level, kind, s0, n0, _s1, _n1, s2, n2 = CMSG_STAMPS.unpack_from(view, offset)
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPING and length >= CMSG_STAMPS.size:
                value = s2 * NS_PER_S + n2 if source == "hardware" else s0 * NS_PER_S + n0
                return value if value != 0 else None
        end = offset + controllen
        while offset + _CMSG_HDR.size <= end:
            length, level, kind = _CMSG_HDR.unpack_from(view, offset)
            if length < _CMSG_HDR.size:
                return None
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPING:
                return pick(scm_timestamps(bytes(view[offset + _CMSG_HDR.size:offset + length])), source)
            offset += (length + _ALIGN - 1) & ~(_ALIGN - 1)
        return None

    def name(self, i: int) -> memoryview:
        """Datagram i's sender as the kernel wrote it (sockaddr_in or sockaddr_in6)."""
        start = i * NAME_SLOT
        return self.names[start:start + self.name_size]


def address_of(name: memoryview | bytes) -> tuple[str, int] | tuple[str, int, int, int]:
    """A sockaddr as Python's socket module spells it: (host, port) or (host, port, flow, scope)."""
    family = _SA_FAMILY.unpack_from(name, 0)[0]
    port = _SOCKADDR_PORT.unpack_from(name, 2)[0]
    if family == socket.AF_INET6:
        flow = _SOCKADDR_FLOW.unpack_from(name, 4)[0]
        scope = _SA_SCOPE.unpack_from(name, 24)[0]
        return (socket.inet_ntop(socket.AF_INET6, bytes(name[8:24])), port, flow, scope)
    return (socket.inet_ntop(socket.AF_INET, bytes(name[4:8])), port)


class SendRing:
    """`count` slots of exactly `size` octets, each to its own sockaddr; one sendmmsg sends k.

    Callers write slot i at ``data[i * size]`` and its destination sockaddr
    at ``names[i * name_size]`` (``ADDRESS_SPAN`` of the family: the
    address octets alone, after ``preset``).
    """

    def __init__(self, count: int, size: int, family: int) -> None:
        self.count = count
        self.size = size
        self.name_size = SOCKADDR_SIZE[family]
        self._data, self.data = _buffer(count * size)
        self._names, self.names = _buffer(count * self.name_size)
        self._iov = (_Iovec * count)()
        self._msgs = (_Mmsghdr * count)()
        base, names = ctypes.addressof(self._data), ctypes.addressof(self._names)
        for i in range(count):
            self._iov[i].iov_base = base + i * size
            self._iov[i].iov_len = size
            hdr = self._msgs[i].msg_hdr
            hdr.msg_name = names + i * self.name_size
            hdr.msg_namelen = self.name_size
            hdr.msg_iov = ctypes.pointer(self._iov[i])
            hdr.msg_iovlen = 1

    def preset(self, family: int, port: int) -> None:
        """Every slot's sockaddr gets `family` and `port`: callers then copy in just the address."""
        for i in range(self.count):
            at = i * self.name_size
            _SA_FAMILY.pack_into(self.names, at, family)
            _SOCKADDR_PORT.pack_into(self.names, at + 2, port)

    def send(self, fd: int, k: int) -> tuple[int, int, int]:
        """Send slots 0..k-1: (sent, failed, errno of the last failure or 0).

        A datagram the kernel refuses is skipped, not retried: the rest of the
        batch still goes.
        """
        sent = failed = last_errno = 0
        done = 0
        while done < k:
            n = _libc.sendmmsg(fd, ctypes.byref(self._msgs[done]), k - done, MSG_DONTWAIT)
            if n < 0:
                last_errno = ctypes.get_errno()
                failed += 1
                done += 1
                continue
            if n == 0:
                break
            sent += n
            done += n
        return sent, failed, last_errno


_SIZE_T: Final = struct.Struct("@N")
_IOV_SIZE: Final = ctypes.sizeof(_Iovec)
_OFF_IOV_LEN: Final = _Iovec.iov_len.offset


class SendSlots:
    """`count` datagrams of up to `size` octets: own length, own sockaddr, `control` on or off.

    Callers write datagram i at ``data[i * size]`` and its whole sockaddr
    at ``names[i * name_size]`` (as RecvRing's ``name(j)`` gives it), then
    ``use(i, length, control)``; every slot holds the same prepared
    control message, sent only where asked for.
    """

    def __init__(self, count: int, size: int, family: int, control: bytes = b"") -> None:
        self.count = count
        self.size = size
        self.name_size = SOCKADDR_SIZE[family]
        self._control_len = len(control)
        self._data, self.data = _buffer(count * size)
        self._names, self.names = _buffer(count * self.name_size)
        self._control, ctl = _buffer(max(1, count * len(control)))
        self._iov = (_Iovec * count)()
        self._iovs = memoryview(self._iov).cast("B")
        # What each slot was last set to, so `use` writes the C structs only on a change.
        self._lengths = [size] * count
        self._with_control = [False] * count
        self._msgs = (_Mmsghdr * count)()
        self._headers = memoryview(self._msgs).cast("B")
        base, names, cbase = (ctypes.addressof(b) for b in (self._data, self._names, self._control))
        for i in range(count):
            self._iov[i].iov_base = base + i * size
            self._iov[i].iov_len = size
            ctl[i * len(control):(i + 1) * len(control)] = control
            hdr = self._msgs[i].msg_hdr
            hdr.msg_name = names + i * self.name_size
            hdr.msg_namelen = self.name_size
            hdr.msg_iov = ctypes.pointer(self._iov[i])
            hdr.msg_iovlen = 1
            hdr.msg_control = cbase + i * len(control)
            hdr.msg_controllen = 0
        self._head = ctypes.c_void_p(ctypes.addressof(self._msgs))

    def use(self, i: int, length: int, control: bool) -> None:
        """Slot i sends `length` octets, with the prepared control message or without."""
        if self._lengths[i] != length:
            _SIZE_T.pack_into(self._iovs, i * _IOV_SIZE + _OFF_IOV_LEN, length)
            self._lengths[i] = length
        if self._with_control[i] != control:
            _SIZE_T.pack_into(self._headers, i * _MMSG_SIZE + _OFF_CONTROLLEN, self._control_len if control else 0)
            self._with_control[i] = control

    def send(self, fd: int, k: int) -> list[tuple[int, int]]:
        """Send slots 0..k-1; (slot, errno) of each the kernel refused (the rest still go)."""
        n = _sendmmsg_raw(fd, self._head, k, MSG_DONTWAIT)  # the whole batch at once, as a rule
        if n == k:
            return []
        failures: list[tuple[int, int]] = []
        done = 0
        while done < k:
            if n < 0:
                failures.append((done, ctypes.get_errno()))
                done += 1
            elif n == 0:
                failures.extend((i, errno.EAGAIN) for i in range(done, k))
                break
            else:
                done += n
            if done < k:
                n = _libc.sendmmsg(fd, ctypes.byref(self._msgs[done]), k - done, MSG_DONTWAIT)
        return failures


class SendBatch:
    """`len(sources)` datagrams of `size` octets to one IPv4 server, message i from sources[i].

    Callers write message i at ``data[i * size]``; its source address rides
    in an IP_PKTINFO control message, so one socket speaks for many clients.
    """

    def __init__(self, server: str, port: int, sources: list[str], size: int) -> None:
        n = len(sources)
        self.count = n
        self.size = size
        name_size = SOCKADDR_SIZE[socket.AF_INET]
        self._data, self.data = _buffer(size * n)
        self._name, name = _buffer(name_size)
        _SA_FAMILY.pack_into(name, 0, socket.AF_INET)
        _SOCKADDR_PORT.pack_into(name, 2, port)
        name[4:8] = socket.inet_aton(server)
        self._control, control = _buffer(_PKTINFO_SPACE * n)
        self._iov = (_Iovec * n)()
        self._msgs = (_Mmsghdr * n)()
        base, ctl = ctypes.addressof(self._data), ctypes.addressof(self._control)
        for i, source in enumerate(sources):
            self._iov[i].iov_base = base + i * size
            self._iov[i].iov_len = size
            at = i * _PKTINFO_SPACE
            _CMSG_HDR.pack_into(control, at, socket.CMSG_LEN(_PKTINFO.size), SOL_IP, IP_PKTINFO)
            _PKTINFO.pack_into(control, at + _CMSG_HDR.size, 0, socket.inet_aton(source), bytes(4))
            hdr = self._msgs[i].msg_hdr
            hdr.msg_name = ctypes.addressof(self._name)
            hdr.msg_namelen = name_size
            hdr.msg_iov = ctypes.pointer(self._iov[i])
            hdr.msg_iovlen = 1
            hdr.msg_control = ctl + at
            hdr.msg_controllen = _PKTINFO_SPACE

    def send(self, fd: int, start: int, count: int) -> int:
        """Send messages start..start+count-1: how many left (0 when the socket is full)."""
        count = min(count, self.count - start)
        n = _libc.sendmmsg(fd, ctypes.byref(self._msgs[start]), count, MSG_DONTWAIT)
        return int(n) if n >= 0 else _failed((errno.EAGAIN, errno.ENOBUFS))
