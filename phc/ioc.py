# SPDX-License-Identifier: GPL-2.0-or-later
"""ioctl request numbers built from direction, type, number and argument size.

The kernel packs them as dir | size | type | nr (asm-generic/ioctl.h).  A few
architectures use other widths for the direction and size fields; the table
below names them so a number is never silently wrong there.
"""

from __future__ import annotations

import ctypes
import platform
from dataclasses import dataclass

_NRBITS = 8
_TYPEBITS = 8


@dataclass(frozen=True)
class _IocLayout:
    size_bits: int
    none: int
    write: int
    read: int


_GENERIC = _IocLayout(size_bits=14, none=0, write=1, read=2)
# powerpc, mips, sparc and alpha: 13 size bits, 3 direction bits.
_WIDE_DIR = _IocLayout(size_bits=13, none=1, write=4, read=2)


def _layout_for(machine: str) -> _IocLayout:
    if machine.startswith(("ppc", "powerpc", "mips", "sparc", "alpha")):
        return _WIDE_DIR
    return _GENERIC


_LAYOUT = _layout_for(platform.machine())


def _ioc(direction: int, type_: int | str, nr: int, size: int) -> int:
    if isinstance(type_, str):
        type_ = ord(type_)
    if size >= 1 << _LAYOUT.size_bits:
        raise ValueError(f"ioctl argument of {size} bytes does not fit the size field")
    shift_type = _NRBITS
    shift_size = shift_type + _TYPEBITS
    shift_dir = shift_size + _LAYOUT.size_bits
    return (direction << shift_dir) | (size << shift_size) | (type_ << shift_type) | nr


def _size(arg: type[ctypes._CData] | int) -> int:
    return arg if isinstance(arg, int) else ctypes.sizeof(arg)


def IO(type_: int | str, nr: int) -> int:
    """_IO: a request without an argument."""
    return _ioc(_LAYOUT.none, type_, nr, 0)


def IOR(type_: int | str, nr: int, arg: type[ctypes._CData] | int) -> int:
    """_IOR: the kernel writes an ``arg`` to user space."""
    return _ioc(_LAYOUT.read, type_, nr, _size(arg))


def IOW(type_: int | str, nr: int, arg: type[ctypes._CData] | int) -> int:
    """_IOW: user space passes an ``arg`` to the kernel."""
    return _ioc(_LAYOUT.write, type_, nr, _size(arg))


def IOWR(type_: int | str, nr: int, arg: type[ctypes._CData] | int) -> int:
    """_IOWR: both directions."""
    return _ioc(_LAYOUT.read | _LAYOUT.write, type_, nr, _size(arg))
