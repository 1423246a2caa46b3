# SPDX-License-Identifier: GPL-2.0-or-later
"""sendmmsg/recvmmsg through ctypes: many datagrams per system call for the NTP load generator.

Python's socket module sends and receives one datagram per call, which
caps a generator far below what a C server answers. Here a batch of
requests (each with its own source address, chosen by an IP_PKTINFO
control message) leaves in one sendmmsg, and replies come back in batches
from recvmmsg. Buffers are allocated once and patched in place.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
from typing import Final

_libc = ctypes.CDLL(None, use_errno=True)

SOL_IP: Final = 0
IP_PKTINFO: Final = 8
MSG_DONTWAIT: Final = 0x40


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


_libc.sendmmsg.argtypes = [ctypes.c_int, ctypes.POINTER(_Mmsghdr), ctypes.c_uint, ctypes.c_int]
_libc.sendmmsg.restype = ctypes.c_int
_libc.recvmmsg.argtypes = [ctypes.c_int, ctypes.POINTER(_Mmsghdr), ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
_libc.recvmmsg.restype = ctypes.c_int

# struct cmsghdr (size_t len; int level; int type) + struct in_pktinfo (ifindex, spec_dst, addr).
_CMSG_HDR: Final = struct.Struct("@Nii")
_PKTINFO: Final = struct.Struct("@i4s4s")
_CONTROL_LEN: Final = socket.CMSG_SPACE(_PKTINFO.size)


def _sockaddr_in(host: str, port: int) -> bytes:
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(host) + bytes(8)


class SendBatch:
    """`len(sources)` datagrams of `size` octets to one IPv4 server, message i from sources[i]."""

    def __init__(self, server: str, port: int, sources: list[str], size: int) -> None:
        n = len(sources)
        self.count = n
        self.size = size
        self._data = (ctypes.c_char * (size * n))()
        self.view = memoryview(self._data).cast("B")  # patch requests here, message i at i * size
        self._name = ctypes.create_string_buffer(_sockaddr_in(server, port), 16)
        self._control = (ctypes.c_char * (_CONTROL_LEN * n))()
        self._iov = (_Iovec * n)()
        self._msgs = (_Mmsghdr * n)()
        base = ctypes.addressof(self._data)
        ctl = ctypes.addressof(self._control)
        cview = memoryview(self._control).cast("B")
        for i, source in enumerate(sources):
            self._iov[i].iov_base = base + i * size
            self._iov[i].iov_len = size
            _CMSG_HDR.pack_into(cview, i * _CONTROL_LEN, socket.CMSG_LEN(_PKTINFO.size), SOL_IP, IP_PKTINFO)
            _PKTINFO.pack_into(cview, i * _CONTROL_LEN + _CMSG_HDR.size, 0, socket.inet_aton(source), bytes(4))
            hdr = self._msgs[i].msg_hdr
            hdr.msg_name = ctypes.addressof(self._name)
            hdr.msg_namelen = 16
            hdr.msg_iov = ctypes.pointer(self._iov[i])
            hdr.msg_iovlen = 1
            hdr.msg_control = ctl + i * _CONTROL_LEN
            hdr.msg_controllen = _CONTROL_LEN
        first = ctypes.addressof(self._msgs)
        step = ctypes.sizeof(_Mmsghdr)
        self._starts = [ctypes.cast(first + i * step, ctypes.POINTER(_Mmsghdr)) for i in range(n)]

    def send(self, fd: int, start: int, count: int) -> int:
        """Send messages start..start+count-1; returns how many left (0 when the socket is full)."""
        count = min(count, self.count - start)
        n = _libc.sendmmsg(fd, self._starts[start], count, MSG_DONTWAIT)
        if n < 0:
            err = ctypes.get_errno()
            if err in (errno.EAGAIN, errno.ENOBUFS):
                return 0
            raise OSError(err, os.strerror(err))
        return int(n)


class RecvBatch:
    """Up to `count` datagrams of at most `size` octets per recvmmsg."""

    def __init__(self, count: int, size: int) -> None:
        self.count = count
        self.size = size
        self._data = (ctypes.c_char * (size * count))()
        self.view = memoryview(self._data).cast("B")  # datagram i at i * size
        self._iov = (_Iovec * count)()
        self._msgs = (_Mmsghdr * count)()
        base = ctypes.addressof(self._data)
        for i in range(count):
            self._iov[i].iov_base = base + i * size
            self._iov[i].iov_len = size
            self._msgs[i].msg_hdr.msg_iov = ctypes.pointer(self._iov[i])
            self._msgs[i].msg_hdr.msg_iovlen = 1

    def receive(self, fd: int) -> int:
        """Datagrams now waiting (0 if none); their lengths via `length(i)`."""
        n = _libc.recvmmsg(fd, self._msgs, self.count, MSG_DONTWAIT, None)
        if n < 0:
            err = ctypes.get_errno()
            if err in (errno.EAGAIN, errno.EINTR):
                return 0
            raise OSError(err, os.strerror(err))
        return int(n)

    def length(self, i: int) -> int:
        return int(self._msgs[i].msg_len)
