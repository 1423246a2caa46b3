# SPDX-License-Identifier: GPL-2.0-or-later
"""ctypes bindings to the libc calls the clocks need, errors mapped to PhcError.

Python's time module cannot set or adjust an arbitrary clock id (a PHC's
dynamic clock), nor pass a struct through ioctl, so we call libc directly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno

from phc.errors import PhcError, PhcOutOfRangeError, error_from_errno
from phc.timex_uapi import timespec, timex


def _load_libc() -> ctypes.CDLL:
    name = ctypes.util.find_library("c") or "libc.so.6"
    return ctypes.CDLL(name, use_errno=True)


_libc = _load_libc()

_clock_gettime = _libc.clock_gettime
_clock_gettime.argtypes = [ctypes.c_int32, ctypes.POINTER(timespec)]
_clock_gettime.restype = ctypes.c_int

_clock_settime = _libc.clock_settime
_clock_settime.argtypes = [ctypes.c_int32, ctypes.POINTER(timespec)]
_clock_settime.restype = ctypes.c_int

_clock_adjtime = _libc.clock_adjtime
_clock_adjtime.argtypes = [ctypes.c_int32, ctypes.POINTER(timex)]
_clock_adjtime.restype = ctypes.c_int

# ioctl is variadic in C; every request we make passes one pointer-sized
# argument (a struct address, or PTP_ENABLE_PPS's plain integer).
_ioctl = _libc.ioctl
_ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
_ioctl.restype = ctypes.c_int


def fd_to_clockid(fd: int) -> int:
    """The dynamic clock id of an open posix-clock device (FD_TO_CLOCKID)."""
    raw = ((~fd) << 3) | 3
    return ctypes.c_int32(raw).value


def _fail(target: str, operation: str) -> PhcError:
    return error_from_errno(target, operation, ctypes.get_errno())


def clock_gettime_ns(clockid: int, target: str = "") -> int:
    ts = timespec()
    if _clock_gettime(clockid, ctypes.byref(ts)) != 0:
        raise _fail(target or f"clock {clockid}", "clock_gettime")
    return ts.to_ns()


def clock_settime_ns(clockid: int, ns: int, target: str = "") -> None:
    if ns < 0:
        raise PhcOutOfRangeError(target or f"clock {clockid}", "clock_settime",
                                 "time before the epoch", errno.EINVAL)
    ts = timespec.from_ns(ns)
    if _clock_settime(clockid, ctypes.byref(ts)) != 0:
        raise _fail(target or f"clock {clockid}", "clock_settime")


def clock_adjtime(clockid: int, tx: timex, target: str = "", operation: str = "clock_adjtime") -> int:
    """Run clock_adjtime on ``tx`` in place; returns the clock state (TIME_OK ...)."""
    state = int(_clock_adjtime(clockid, ctypes.byref(tx)))
    if state < 0:
        raise _fail(target or f"clock {clockid}", operation)
    return state


def ioctl_errno(fd: int, request: int, arg: ctypes._CData | int | None) -> int:
    """ioctl with a struct (passed by reference) or a plain integer argument.

    Returns 0 or the errno, so callers can fall back to an older request.
    """
    if arg is None or isinstance(arg, int):
        value: ctypes.c_void_p | ctypes._CArgObject = ctypes.c_void_p(arg or 0)
    else:
        value = ctypes.byref(arg)
    if _ioctl(fd, request, value) < 0:
        return ctypes.get_errno() or errno.EIO
    return 0


def ioctl(fd: int, request: int, arg: ctypes._CData | int | None, target: str, operation: str) -> None:
    """ioctl that raises the matching PhcError, naming ``target`` and ``operation``."""
    err = ioctl_errno(fd, request, arg)
    if err:
        raise error_from_errno(target, operation, err)
