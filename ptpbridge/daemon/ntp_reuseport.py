# SPDX-License-Identifier: GPL-2.0-or-later
"""Which NTP worker serves which client: a classic BPF program on the SO_REUSEPORT group.

The kernel's default reuseport choice hashes the 4-tuple, so a client that
changes its source port (ntpdig, chronyd with `port 0`) would hop between
workers and lose its rate-limit bucket and its interleaved timestamps. We
attach a program (SO_ATTACH_REUSEPORT_CBPF) that hashes the source address
only and returns the socket's index in the group. The index is the order
in which the group's sockets were bound, which the daemon fixes by creating
and holding them all before any worker starts.

When the program runs the packet data starts at the UDP payload; the
network header is reached through the SKF_NET_OFF negative offsets.
`worker_for` computes the same hash in Python (tests, status), so the
mapping is defined here and nowhere else.
"""

from __future__ import annotations

import ctypes
import ipaddress
import socket
import struct
from typing import Final

SO_ATTACH_REUSEPORT_CBPF: Final = 51  # linux/asm-generic/socket.h; not in Python's socket module
SKF_NET_OFF: Final = -0x100000  # linux/filter.h

# Classic BPF opcodes (linux/bpf_common.h, linux/filter.h).
_LD_W_ABS: Final = 0x00 | 0x00 | 0x20
_TAX: Final = 0x07 | 0x00
_ALU_RSH_K: Final = 0x04 | 0x70 | 0x00
_ALU_XOR_X: Final = 0x04 | 0xA0 | 0x08
_ALU_MUL_K: Final = 0x04 | 0x20 | 0x00
_ALU_MOD_K: Final = 0x04 | 0x90 | 0x00
_RET_A: Final = 0x06 | 0x10

# Offsets of the source address in the network header.
_IPV4_SRC: Final = 12
_IPV6_SRC: Final = 8
_MIX: Final = 0x045D9F3B  # an odd multiplier with good avalanche for 32-bit words
_U32: Final = 0xFFFF_FFFF

Insn = tuple[int, int, int, int]  # code, jt, jf, k


def _load(offset: int) -> Insn:
    return (_LD_W_ABS, 0, 0, (SKF_NET_OFF + offset) & _U32)


def _fold(a: int) -> int:
    return (a ^ (a >> 16)) & _U32


def address_hash(address: str) -> int:
    """The 32-bit hash the BPF program computes for a client address."""
    addr = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address):
        words = struct.unpack("!4I", addr.packed)
        a = words[0] ^ words[1] ^ words[2] ^ words[3]
    else:
        a = int(addr)
    a = _fold(a)
    a = (a * _MIX) & _U32
    return _fold(a)


def worker_for(address: str, workers: int) -> int:
    """The worker (0..workers-1) whose socket the kernel picks for this client address."""
    if workers < 1:
        raise ValueError("need at least one worker")
    return address_hash(address) % workers


def program(family: int, workers: int) -> list[Insn]:
    """The BPF program for one reuseport group of `workers` sockets of `family`."""
    if workers < 1:
        raise ValueError("need at least one worker")
    if family == socket.AF_INET:
        insns = [_load(_IPV4_SRC)]
    elif family == socket.AF_INET6:
        insns = [_load(_IPV6_SRC)]
        for word in range(1, 4):
            insns += [(_TAX, 0, 0, 0), _load(_IPV6_SRC + 4 * word), (_ALU_XOR_X, 0, 0, 0)]
    else:
        raise ValueError(f"no reuseport program for address family {family}")
    fold = [(_TAX, 0, 0, 0), (_ALU_RSH_K, 0, 0, 16), (_ALU_XOR_X, 0, 0, 0)]
    insns += fold + [(_ALU_MUL_K, 0, 0, _MIX)] + fold
    insns += [(_ALU_MOD_K, 0, 0, workers), (_RET_A, 0, 0, 0)]
    return insns


def attach(sock: socket.socket, workers: int) -> None:
    """Attach the program to the reuseport group `sock` belongs to (OSError if refused)."""
    insns = program(sock.family, workers)
    raw = b"".join(struct.pack("=HBBI", *insn) for insn in insns)
    buf = ctypes.create_string_buffer(raw, len(raw))
    # struct sock_fprog: unsigned short len; struct sock_filter *filter.
    fprog = struct.pack("@HP", len(insns), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)
