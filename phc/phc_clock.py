# SPDX-License-Identifier: GPL-2.0-or-later
"""A real PTP hardware clock (/dev/ptpN) behind the Clock protocol.

Time calls go through the clock's dynamic clock id (clock_gettime and friends
on FD_TO_CLOCKID(fd)); everything else is an ioctl on the open device.  The
"2" ioctls are tried first and the originals used where a kernel lacks them.
"""

from __future__ import annotations

import ctypes
import enum
import errno
import os
import re
import select
from dataclasses import dataclass
from types import TracebackType

from phc.clock import NS_PER_S, OffsetMeasurement
from phc.errors import (
    PhcError,
    PhcNotSupportedError,
    PhcOutOfRangeError,
    error_from_errno,
    require_frequency_in_range,
)
from phc.libc import (
    clock_adjtime,
    clock_gettime_ns,
    clock_settime_ns,
    fd_to_clockid,
    ioctl_errno,
)
from phc.ptp_uapi import (
    PTP_CLOCK_GETCAPS,
    PTP_CLOCK_GETCAPS2,
    PTP_ENABLE_FEATURE,
    PTP_ENABLE_PPS,
    PTP_ENABLE_PPS2,
    PTP_EXTTS_REQUEST,
    PTP_EXTTS_REQUEST2,
    PTP_FALLING_EDGE,
    PTP_MAX_SAMPLES,
    PTP_PEROUT_DUTY_CYCLE,
    PTP_PEROUT_ONE_SHOT,
    PTP_PEROUT_PHASE,
    PTP_PEROUT_REQUEST,
    PTP_PEROUT_REQUEST2,
    PTP_PIN_GETFUNC,
    PTP_PIN_GETFUNC2,
    PTP_PIN_SETFUNC,
    PTP_PIN_SETFUNC2,
    PTP_RISING_EDGE,
    PTP_STRICT_FLAGS,
    PTP_SYS_OFFSET,
    PTP_SYS_OFFSET2,
    PTP_SYS_OFFSET_EXTENDED,
    PTP_SYS_OFFSET_EXTENDED2,
    PTP_SYS_OFFSET_PRECISE,
    PTP_SYS_OFFSET_PRECISE2,
    PinFunction,
    ptp_clock_caps,
    ptp_clock_time,
    ptp_extts_event,
    ptp_extts_request,
    ptp_perout_request,
    ptp_pin_desc,
    ptp_sys_offset,
    ptp_sys_offset_extended,
    ptp_sys_offset_precise,
)
from phc.sys_offset import from_basic, from_extended, from_precise
from phc.timestamping import phc_index_of
from phc.timex_uapi import CLOCK_MONOTONIC, frequency_request, scaled_ppm_to_ppb, step_request, timex

# How long a cached offset may serve from_system_ns before it is measured again.
_OFFSET_CACHE_NS = NS_PER_S


class ExttsEdge(enum.IntFlag):
    """Which signal edges an external-timestamp channel stamps."""

    RISING_EDGE = PTP_RISING_EDGE
    FALLING_EDGE = PTP_FALLING_EDGE


@dataclass(frozen=True)
class PhcCaps:
    """PTP_CLOCK_GETCAPS, decoded."""

    max_adj_ppb: int
    n_alarm: int
    n_ext_ts: int
    n_per_out: int
    pps: bool
    n_pins: int
    cross_timestamping: bool
    adjust_phase: bool


@dataclass(frozen=True)
class ExttsEvent:
    """One timestamp of an external signal edge, in PHC time."""

    index: int
    time_ns: int
    flags: int


@dataclass(frozen=True)
class PinDesc:
    name: str
    index: int
    function: PinFunction | int
    channel: int


def device_path(device: str | int) -> str | None:
    """The device path "/dev/ptpN" for a path, "ptpN", N or "N"; None for an interface name."""
    if isinstance(device, int):
        return f"/dev/ptp{device}"
    if device.startswith("/"):
        return device
    if device.isdigit():
        return f"/dev/ptp{int(device)}"
    if re.fullmatch(r"ptp\d+", device):
        return f"/dev/{device}"
    return None


def resolve_phc_path(device: str | int) -> str:
    """The device path for a path, index or interface name (via its phc_index)."""
    path = device_path(device)
    if path is None:
        path = f"/dev/ptp{phc_index_of(str(device))}"
    return path


class PhcClock:
    """An open PTP hardware clock.  Use as a context manager or call close().

    ``writable=False`` opens the device read-only: reads and offsets work
    without write permission, while steering and pin/signal set-up are refused
    by the kernel.
    """

    def __init__(self, device: str | int, *, writable: bool = True) -> None:
        self._path = resolve_phc_path(device)
        self._fd: int | None = None
        try:
            self._fd = os.open(self._path, (os.O_RDWR if writable else os.O_RDONLY) | os.O_CLOEXEC)
        except OSError as exc:
            raise error_from_errno(self._path, "open", exc.errno or errno.EIO) from None
        try:
            self._caps = self._read_caps()
        except BaseException:
            self.close()
            raise
        self._clock_id = fd_to_clockid(self._fd)
        self._methods = ["precise", "extended", "basic"] if self._caps.cross_timestamping \
            else ["extended", "basic"]
        self._cached: tuple[int, OffsetMeasurement] | None = None

    # -- plumbing ---------------------------------------------------------

    def _require_fd(self, operation: str) -> int:
        if self._fd is None:
            raise PhcError(self._path, operation, "clock is closed", errno.EBADF)
        return self._fd

    def _request(
        self, new: int, old: int, arg: ctypes._CData | int | None, operation: str, v1_ok: bool = True
    ) -> None:
        """Issue the "2" ioctl; fall back to the original where the kernel rejects it.

        EINVAL falls back only when the original can express the same request
        (``v1_ok``): it silently drops the newer flags.
        """
        fd = self._require_fd(operation)
        err = ioctl_errno(fd, new, arg)
        if err == errno.ENOTTY or (err == errno.EINVAL and v1_ok):
            old_err = ioctl_errno(fd, old, arg)
            if old_err == 0:
                return
            if err == errno.ENOTTY:
                err = old_err
        if err:
            raise error_from_errno(self._path, operation, err)

    def _read_caps(self) -> PhcCaps:
        raw = ptp_clock_caps()
        try:
            self._request(PTP_CLOCK_GETCAPS2, PTP_CLOCK_GETCAPS, raw, "open")
        except PhcNotSupportedError as exc:
            if exc.errno == errno.ENOTTY:
                raise PhcNotSupportedError(self._path, "open", "not a PTP clock", errno.ENOTTY) from None
            raise
        return PhcCaps(
            max_adj_ppb=int(raw.max_adj), n_alarm=int(raw.n_alarm), n_ext_ts=int(raw.n_ext_ts),
            n_per_out=int(raw.n_per_out), pps=bool(raw.pps), n_pins=int(raw.n_pins),
            cross_timestamping=bool(raw.cross_timestamping), adjust_phase=bool(raw.adjust_phase),
        )

    def _adjtime(self, tx: timex, operation: str) -> None:
        self._require_fd(operation)
        clock_adjtime(self._clock_id, tx, self._path, operation)

    # -- Clock protocol ---------------------------------------------------

    @property
    def name(self) -> str:
        return self._path

    @property
    def kind(self) -> str:
        return "phc"

    @property
    def clock_id(self) -> int:
        """The dynamic clock id for clock_gettime and friends."""
        return self._clock_id

    @property
    def closed(self) -> bool:
        return self._fd is None

    def caps(self) -> PhcCaps:
        return self._caps

    def now_ns(self) -> int:
        self._require_fd("now_ns")
        return clock_gettime_ns(self._clock_id, self._path)

    def set_time_ns(self, ns: int) -> None:
        self._require_fd("set_time_ns")
        clock_settime_ns(self._clock_id, ns, self._path)
        self._cached = None

    def max_frequency_ppb(self) -> float:
        return float(self._caps.max_adj_ppb)

    def adjust_frequency(self, ppb: float) -> None:
        """Set the frequency adjustment (absolute, not cumulative), in ppb."""
        require_frequency_in_range(self._path, ppb, self._caps.max_adj_ppb)
        self._adjtime(frequency_request(ppb), "adjust_frequency")
        self._cached = None

    def frequency_ppb(self) -> float:
        tx = timex(modes=0)
        self._adjtime(tx, "frequency_ppb")
        return scaled_ppm_to_ppb(int(tx.freq))

    def step(self, delta_ns: int) -> None:
        """Add ``delta_ns`` to the clock (ADJ_SETOFFSET, nanosecond resolution)."""
        self._adjtime(step_request(delta_ns), "step")
        self._cached = None

    def offset_to_system(self, samples: int = 5) -> OffsetMeasurement:
        """PHC minus CLOCK_REALTIME, by the best method the driver offers."""
        if not 1 <= samples <= PTP_MAX_SAMPLES:
            raise PhcOutOfRangeError(
                self._path, "offset_to_system", f"samples must be 1..{PTP_MAX_SAMPLES}", errno.EINVAL)
        while True:
            method = self._methods[0]
            try:
                return self._measure(method, samples)
            except PhcNotSupportedError:
                if len(self._methods) == 1:
                    raise
                self._methods.pop(0)  # the driver lacks it; never ask again

    def _measure(self, method: str, samples: int) -> OffsetMeasurement:
        operation = f"offset_to_system ({method})"
        if method == "precise":
            readings = []
            for _ in range(samples):
                precise = ptp_sys_offset_precise()
                self._request(PTP_SYS_OFFSET_PRECISE2, PTP_SYS_OFFSET_PRECISE, precise, operation)
                readings.append(precise)
            return from_precise(readings)
        if method == "extended":
            extended = ptp_sys_offset_extended(n_samples=samples)
            self._request(PTP_SYS_OFFSET_EXTENDED2, PTP_SYS_OFFSET_EXTENDED, extended, operation)
            return from_extended(extended)
        basic = ptp_sys_offset(n_samples=samples)
        self._request(PTP_SYS_OFFSET2, PTP_SYS_OFFSET, basic, operation)
        return from_basic(basic)

    def from_system_ns(self, realtime_ns: int) -> int:
        """Map a CLOCK_REALTIME timestamp into PHC time with a recent offset (<= ~1 s old)."""
        now = clock_gettime_ns(CLOCK_MONOTONIC)
        if self._cached is None or now - self._cached[0] > _OFFSET_CACHE_NS:
            self._cached = (now, self.offset_to_system())
        return realtime_ns + self._cached[1].offset_ns

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __del__(self) -> None:
        # A forgotten clock must not leak its descriptor in a long-running daemon.
        if getattr(self, "_fd", None) is not None:
            self.close()

    def __enter__(self) -> PhcClock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._fd is None else f"clock_id={self._clock_id}"
        return f"PhcClock({self._path!r}, {state})"

    # -- signals and pins -------------------------------------------------

    def enable_extts(
        self, index: int, edges: ExttsEdge = ExttsEdge.RISING_EDGE, *, strict: bool = False
    ) -> None:
        """Timestamp ``edges`` on external-timestamp channel ``index``.

        ``strict`` asks the driver to refuse edge settings it cannot honour
        (PTP_STRICT_FLAGS) instead of silently stamping other edges.
        """
        flags = PTP_ENABLE_FEATURE | int(edges) | (PTP_STRICT_FLAGS if strict else 0)
        req = ptp_extts_request(index=index, flags=flags)
        self._request(PTP_EXTTS_REQUEST2, PTP_EXTTS_REQUEST, req, "enable_extts", v1_ok=not strict)

    def disable_extts(self, index: int) -> None:
        req = ptp_extts_request(index=index, flags=0)
        self._request(PTP_EXTTS_REQUEST2, PTP_EXTTS_REQUEST, req, "disable_extts")

    def read_extts(self, timeout: float | None = None) -> list[ExttsEvent]:
        """Events queued on the device; waits up to ``timeout`` s (None: block) for the first."""
        fd = self._require_fd("read_extts")
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        wait_ms = None if timeout is None else max(0, int(timeout * 1000))
        if not poller.poll(wait_ms):
            return []
        size = ctypes.sizeof(ptp_extts_event)
        try:
            data = os.read(fd, size * 16)
        except OSError as exc:
            raise error_from_errno(self._path, "read_extts", exc.errno or errno.EIO) from None
        events = []
        for start in range(0, len(data) - size + 1, size):
            raw = ptp_extts_event.from_buffer_copy(data, start)
            events.append(ExttsEvent(index=int(raw.index), time_ns=raw.t.to_ns(), flags=int(raw.flags)))
        return events

    def set_periodic_output(
        self, index: int, period_ns: int, *, start_ns: int | None = None,
        phase_ns: int | None = None, on_ns: int | None = None, one_shot: bool = False,
    ) -> None:
        """Drive periodic output ``index``; ``period_ns`` 0 switches it off.

        Give either an absolute ``start_ns`` (PHC time) or a ``phase_ns`` within
        the period; with neither, the signal starts at the second after next.
        ``on_ns`` sets the duty cycle.
        """
        if period_ns < 0 or (on_ns is not None and not 0 < on_ns < max(period_ns, 1)):
            raise PhcOutOfRangeError(self._path, "set_periodic_output",
                                     "need period >= 0 and 0 < on time < period", errno.EINVAL)
        flags = 0
        req = ptp_perout_request(index=index, period=ptp_clock_time.from_ns(period_ns))
        if phase_ns is not None:
            flags |= PTP_PEROUT_PHASE
            req.phase = ptp_clock_time.from_ns(phase_ns)
        elif period_ns:
            if start_ns is None:
                start_ns = (self.now_ns() // NS_PER_S + 2) * NS_PER_S
            req.start = ptp_clock_time.from_ns(start_ns)
        if on_ns is not None:
            flags |= PTP_PEROUT_DUTY_CYCLE
            req.on = ptp_clock_time.from_ns(on_ns)
        if one_shot:
            flags |= PTP_PEROUT_ONE_SHOT
        req.flags = flags
        self._request(PTP_PEROUT_REQUEST2, PTP_PEROUT_REQUEST, req, "set_periodic_output",
                      v1_ok=flags == 0)

    def enable_pps(self, enable: bool = True) -> None:
        """Switch the clock's PPS events to the kernel's PPS subsystem on or off."""
        self._request(PTP_ENABLE_PPS2, PTP_ENABLE_PPS, 1 if enable else 0, "enable_pps")

    def pins(self) -> list[PinDesc]:
        result = []
        for i in range(self._caps.n_pins):
            desc = ptp_pin_desc(index=i)
            self._request(PTP_PIN_GETFUNC2, PTP_PIN_GETFUNC, desc, "pins")
            function: PinFunction | int = int(desc.func)
            try:
                function = PinFunction(desc.func)
            except ValueError:
                pass
            result.append(PinDesc(name=desc.name.decode(errors="replace"), index=i,
                                  function=function, channel=int(desc.chan)))
        return result

    def set_pin_function(self, index: int, function: PinFunction, channel: int = 0) -> None:
        if not 0 <= index < self._caps.n_pins:
            raise PhcOutOfRangeError(self._path, "set_pin_function",
                                     f"pin {index} does not exist ({self._caps.n_pins} pins)",
                                     errno.EINVAL)
        desc = ptp_pin_desc(index=index, func=int(function), chan=channel)
        self._request(PTP_PIN_SETFUNC2, PTP_PIN_SETFUNC, desc, "set_pin_function")
