# SPDX-License-Identifier: GPL-2.0-or-later
"""clock_adjtime ABI (linux/timex.h, linux/time.h): struct timex and its flags.

Every UPPERCASE integer is a kernel constant under its C name.  We call glibc's
clock_adjtime, so tests/phc proves the layout against both the kernel header
(``C_HEADERS``) and glibc's (``LIBC_HEADERS``).
"""

from __future__ import annotations

import ctypes

from phc.clock import NS_PER_S

C_HEADERS = ("linux/time.h", "linux/timex.h")
LIBC_HEADERS = ("time.h", "sys/timex.h")

CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1
CLOCK_MONOTONIC_RAW = 4
CLOCK_TAI = 11

ADJ_OFFSET = 0x0001
ADJ_FREQUENCY = 0x0002
ADJ_SETOFFSET = 0x0100
ADJ_MICRO = 0x1000
ADJ_NANO = 0x2000

STA_NANO = 0x2000

TIME_OK = 0
TIME_ERROR = 5


class timeval(ctypes.Structure):
    """struct timeval as timex embeds it; with ADJ_NANO tv_usec holds nanoseconds."""

    _c_name_ = "struct timeval"
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class timespec(ctypes.Structure):
    _c_name_ = "struct timespec"
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]

    def to_ns(self) -> int:
        return int(self.tv_sec) * NS_PER_S + int(self.tv_nsec)

    @classmethod
    def from_ns(cls, ns: int) -> timespec:
        sec, nsec = divmod(ns, NS_PER_S)
        return cls(tv_sec=sec, tv_nsec=nsec)


class timex(ctypes.Structure):
    """The clock_adjtime argument; ``freq`` is in ppm with a 16-bit fraction."""

    _c_name_ = "struct timex"
    # The header ends in eleven unnamed 32-bit bitfields; C cannot name them,
    # so the layout test checks only that _unnamed covers none of the rest.
    _c_unnamed_ = ("_unnamed",)
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time", timeval),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_unnamed", ctypes.c_int * 11),
    ]


# timex.freq unit: parts per million with 16 fractional bits.
_SCALED_PPM_PER_PPM = 65536


def ppb_to_scaled_ppm(ppb: float) -> int:
    """ppb -> timex.freq units (rounded to the nearest step of ~0.0153 ppb)."""
    return round(ppb * _SCALED_PPM_PER_PPM / 1000)


def scaled_ppm_to_ppb(scaled: int) -> float:
    return scaled * 1000 / _SCALED_PPM_PER_PPM


def frequency_request(ppb: float) -> timex:
    """clock_adjtime argument that sets the frequency adjustment to ``ppb``."""
    return timex(modes=ADJ_FREQUENCY, freq=ppb_to_scaled_ppm(ppb))


def step_request(delta_ns: int) -> timex:
    """clock_adjtime argument that adds ``delta_ns`` to the clock.

    With ADJ_NANO the kernel reads time.tv_usec as nanoseconds and insists on
    [0, 1e9); floor division keeps it there for negative steps too
    (-1 ns is -1 s + 999999999 ns).
    """
    sec, nsec = divmod(int(delta_ns), NS_PER_S)
    return timex(modes=ADJ_SETOFFSET | ADJ_NANO, time=timeval(tv_sec=sec, tv_usec=nsec))
