# SPDX-License-Identifier: GPL-2.0-or-later
"""PTP clock character-device ABI (linux/ptp_clock.h): structs, flags, ioctls.

Every UPPERCASE integer here is a kernel constant under its C name, and every
Structure mirrors the C struct of ``_c_name_``; tests/phc compiles a C program
from these definitions against ``C_HEADERS`` and proves each number.  Fields
newer kernels carve out of the reserved words are not named: the machine's
headers cannot vouch for them.
"""

from __future__ import annotations

import ctypes
import enum

from phc.clock import NS_PER_S
from phc.ioc import IOR, IOW, IOWR

C_HEADERS = ("linux/ptp_clock.h",)

# ptp_extts_request.flags
PTP_ENABLE_FEATURE = 1 << 0
PTP_RISING_EDGE = 1 << 1
PTP_FALLING_EDGE = 1 << 2
PTP_STRICT_FLAGS = 1 << 3

# ptp_perout_request.flags (only valid with PTP_PEROUT_REQUEST2)
PTP_PEROUT_ONE_SHOT = 1 << 0
PTP_PEROUT_DUTY_CYCLE = 1 << 1
PTP_PEROUT_PHASE = 1 << 2

PTP_MAX_SAMPLES = 25


class PinFunction(enum.IntEnum):
    """enum ptp_pin_function: what a programmable pin does."""

    NONE = 0
    EXTTS = 1
    PEROUT = 2
    PHYSYNC = 3


class ptp_clock_time(ctypes.Structure):
    """Seconds (sign applies to the whole value) plus unsigned nanoseconds."""

    _c_name_ = "struct ptp_clock_time"
    _fields_ = [
        ("sec", ctypes.c_int64),
        ("nsec", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]

    def to_ns(self) -> int:
        return int(self.sec) * NS_PER_S + int(self.nsec)

    @classmethod
    def from_ns(cls, ns: int) -> ptp_clock_time:
        sec, nsec = divmod(ns, NS_PER_S)
        return cls(sec=sec, nsec=nsec, reserved=0)


class ptp_clock_caps(ctypes.Structure):
    _c_name_ = "struct ptp_clock_caps"
    _fields_ = [
        ("max_adj", ctypes.c_int),
        ("n_alarm", ctypes.c_int),
        ("n_ext_ts", ctypes.c_int),
        ("n_per_out", ctypes.c_int),
        ("pps", ctypes.c_int),
        ("n_pins", ctypes.c_int),
        ("cross_timestamping", ctypes.c_int),
        ("adjust_phase", ctypes.c_int),
        ("rsv", ctypes.c_int * 12),
    ]


class ptp_extts_request(ctypes.Structure):
    _c_name_ = "struct ptp_extts_request"
    _fields_ = [
        ("index", ctypes.c_uint),
        ("flags", ctypes.c_uint),
        ("rsv", ctypes.c_uint * 2),
    ]


class ptp_extts_event(ctypes.Structure):
    """One external timestamp, read() from the clock's character device."""

    _c_name_ = "struct ptp_extts_event"
    _fields_ = [
        ("t", ptp_clock_time),
        ("index", ctypes.c_uint),
        ("flags", ctypes.c_uint),
        ("rsv", ctypes.c_uint * 2),
    ]


class _perout_start(ctypes.Union):
    # Absolute start time, or (with PTP_PEROUT_PHASE) a phase offset.
    _fields_ = [("start", ptp_clock_time), ("phase", ptp_clock_time)]


class _perout_on(ctypes.Union):
    # "On" time (with PTP_PEROUT_DUTY_CYCLE), otherwise reserved words.
    _fields_ = [("on", ptp_clock_time), ("rsv", ctypes.c_uint * 4)]


class ptp_perout_request(ctypes.Structure):
    _c_name_ = "struct ptp_perout_request"
    _anonymous_ = ("_u_start", "_u_on")
    _fields_ = [
        ("_u_start", _perout_start),
        ("period", ptp_clock_time),
        ("index", ctypes.c_uint),
        ("flags", ctypes.c_uint),
        ("_u_on", _perout_on),
    ]


class ptp_sys_offset(ctypes.Structure):
    """Interleaved system/PHC reads: sys, phc, sys, ..., sys (2n+1 values)."""

    _c_name_ = "struct ptp_sys_offset"
    _fields_ = [
        ("n_samples", ctypes.c_uint),
        ("rsv", ctypes.c_uint * 3),
        ("ts", ptp_clock_time * (2 * PTP_MAX_SAMPLES + 1)),
    ]


class ptp_sys_offset_extended(ctypes.Structure):
    """Per sample: [system before, PHC, system after]."""

    _c_name_ = "struct ptp_sys_offset_extended"
    _fields_ = [
        ("n_samples", ctypes.c_uint),
        ("rsv", ctypes.c_uint * 3),
        ("ts", (ptp_clock_time * 3) * PTP_MAX_SAMPLES),
    ]


class ptp_sys_offset_precise(ctypes.Structure):
    """A cross-timestamp: device and system time captured by the hardware at once."""

    _c_name_ = "struct ptp_sys_offset_precise"
    _fields_ = [
        ("device", ptp_clock_time),
        ("sys_realtime", ptp_clock_time),
        ("sys_monoraw", ptp_clock_time),
        ("rsv", ctypes.c_uint * 4),
    ]


class ptp_pin_desc(ctypes.Structure):
    _c_name_ = "struct ptp_pin_desc"
    _fields_ = [
        ("name", ctypes.c_char * 64),
        ("index", ctypes.c_uint),
        ("func", ctypes.c_uint),
        ("chan", ctypes.c_uint),
        ("rsv", ctypes.c_uint * 5),
    ]


PTP_CLK_MAGIC = ord("=")

PTP_CLOCK_GETCAPS = IOR(PTP_CLK_MAGIC, 1, ptp_clock_caps)
PTP_EXTTS_REQUEST = IOW(PTP_CLK_MAGIC, 2, ptp_extts_request)
PTP_PEROUT_REQUEST = IOW(PTP_CLK_MAGIC, 3, ptp_perout_request)
PTP_ENABLE_PPS = IOW(PTP_CLK_MAGIC, 4, ctypes.c_int)
PTP_SYS_OFFSET = IOW(PTP_CLK_MAGIC, 5, ptp_sys_offset)
PTP_PIN_GETFUNC = IOWR(PTP_CLK_MAGIC, 6, ptp_pin_desc)
PTP_PIN_SETFUNC = IOW(PTP_CLK_MAGIC, 7, ptp_pin_desc)
PTP_SYS_OFFSET_PRECISE = IOWR(PTP_CLK_MAGIC, 8, ptp_sys_offset_precise)
PTP_SYS_OFFSET_EXTENDED = IOWR(PTP_CLK_MAGIC, 9, ptp_sys_offset_extended)

# The "2" requests (Linux 5.8+) check that reserved fields and flags are clean.
PTP_CLOCK_GETCAPS2 = IOR(PTP_CLK_MAGIC, 10, ptp_clock_caps)
PTP_EXTTS_REQUEST2 = IOW(PTP_CLK_MAGIC, 11, ptp_extts_request)
PTP_PEROUT_REQUEST2 = IOW(PTP_CLK_MAGIC, 12, ptp_perout_request)
PTP_ENABLE_PPS2 = IOW(PTP_CLK_MAGIC, 13, ctypes.c_int)
PTP_SYS_OFFSET2 = IOW(PTP_CLK_MAGIC, 14, ptp_sys_offset)
PTP_PIN_GETFUNC2 = IOWR(PTP_CLK_MAGIC, 15, ptp_pin_desc)
PTP_PIN_SETFUNC2 = IOW(PTP_CLK_MAGIC, 16, ptp_pin_desc)
PTP_SYS_OFFSET_PRECISE2 = IOWR(PTP_CLK_MAGIC, 17, ptp_sys_offset_precise)
PTP_SYS_OFFSET_EXTENDED2 = IOWR(PTP_CLK_MAGIC, 18, ptp_sys_offset_extended)
