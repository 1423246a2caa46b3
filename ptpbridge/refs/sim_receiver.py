# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in GNSS receiver: NMEA RMC/ZDA (and GGA) once per true second, into a pseudo-terminal.

For second S it writes, ``latency_ns`` after S, the sentences naming S
(LabelConvention.PRECEDING) or S + 1 (FOLLOWING), exactly as a serial
receiver would; the daemon opens the pty's slave side like /dev/ttyS0.
Faults are deterministic per second: ``drop_seconds``/``dropout_rate``
suppress a second's output, ``bad_seconds`` corrupts every checksum of that
second, ``bad_rate`` corrupts single sentences.  Seconds are POSIX, so the
stand-in never names a 23:59:60.
"""

from __future__ import annotations

import errno
import os
import random
import threading
import time
import tty
from collections.abc import Callable, Collection, Sequence

from ptpbridge.refs.civil import SECONDS_PER_DAY, civil_date
from ptpbridge.refs.gnss import LabelConvention
from ptpbridge.refs.nmea import checksum
from ptpbridge.timebase import NS_PER_S

# A made-up position; only the time fields matter here.
_POSITION = "4916.4500,N,12311.1200,W"


def open_pty() -> tuple[int, int, str]:
    """(master fd, slave fd, slave path): write NMEA to the master, read the slave like a tty.

    The slave is raw (no echo, no CR to LF mapping) so bytes pass unchanged;
    the master is non-blocking so a reader that stalls costs sentences, not a hang.
    """
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    return master, slave, os.ttyname(slave)


def _realtime_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


class SimulatedReceiver:
    """Writes one burst of NMEA per true second to ``fd`` (a pty master)."""

    def __init__(self, fd: int, *, latency_ns: int = 100_000_000,
                 convention: LabelConvention = LabelConvention.PRECEDING,
                 sentences: Sequence[str] = ("RMC", "ZDA"), talker: str = "GP", fix: bool = True,
                 drop_seconds: Collection[int] = (), dropout_rate: float = 0.0,
                 bad_seconds: Collection[int] = (), bad_rate: float = 0.0, seed: int = 0,
                 time_source: Callable[[], int] | None = None) -> None:
        if not 0 <= latency_ns < NS_PER_S:
            raise ValueError("latency must be within [0, 1 s)")
        unknown = set(sentences) - {"RMC", "ZDA", "GGA"}
        if unknown:
            raise ValueError(f"cannot simulate {sorted(unknown)}")
        self.fd = fd
        self.latency_ns = latency_ns
        self.convention = convention
        self.sentences = tuple(sentences)
        self.talker = talker
        self.fix = fix
        self.drop_seconds = frozenset(drop_seconds)
        self.dropout_rate = dropout_rate
        self.bad_seconds = frozenset(bad_seconds)
        self.bad_rate = bad_rate
        self._seed = seed
        self._source = time_source or _realtime_ns
        start = self._source() - latency_ns
        self._next_s = -(-start // NS_PER_S)
        self.bytes_written = 0
        self.overruns = 0

    # -- content ----------------------------------------------------------

    def _body(self, kind: str, named_s: int) -> str:
        year, month, day = civil_date(named_s)
        rest = named_s % SECONDS_PER_DAY
        hhmmss = f"{rest // 3600:02d}{rest // 60 % 60:02d}{rest % 60:02d}.00"
        if kind == "RMC":
            status, mode = ("A", "A") if self.fix else ("V", "N")
            return (f"{self.talker}RMC,{hhmmss},{status},{_POSITION},0.0,0.0,"
                    f"{day:02d}{month:02d}{year % 100:02d},,,{mode}")
        if kind == "ZDA":
            return f"{self.talker}ZDA,{hhmmss},{day:02d},{month:02d},{year:04d},00,00"
        quality, satellites = (1, 8) if self.fix else (0, 0)
        return f"{self.talker}GGA,{hhmmss},{_POSITION},{quality},{satellites:02d},0.9,545.4,M,46.9,M,,"

    def sentences_for(self, utc_s: int) -> bytes:
        """What the receiver writes after the pulse of ``utc_s`` (empty when it drops out)."""
        rng = random.Random(f"{self._seed}:nmea:{utc_s}")
        if utc_s in self.drop_seconds or rng.random() < self.dropout_rate:
            return b""
        named = utc_s if self.convention is LabelConvention.PRECEDING else utc_s + 1
        out = bytearray()
        for kind in self.sentences:
            body = self._body(kind, named).encode("ascii")
            value = checksum(body)
            if utc_s in self.bad_seconds or rng.random() < self.bad_rate:
                value ^= 0x5A
            out += b"$" + body + f"*{value:02X}\r\n".encode()
        return bytes(out)

    # -- output -----------------------------------------------------------

    def next_due_ns(self) -> int:
        return self._next_s * NS_PER_S + self.latency_ns

    def poll(self, now_ns: int | None = None) -> int:
        """Write every burst due by ``now_ns`` (default: the time source); bytes written."""
        now = self._source() if now_ns is None else now_ns
        written = 0
        while self.next_due_ns() <= now:
            data = self.sentences_for(self._next_s)
            self._next_s += 1
            if data:
                written += self._write(data)
        return written

    def _write(self, data: bytes) -> int:
        try:
            count = os.write(self.fd, data)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EIO):
                raise
            self.overruns += 1
            return 0
        if count < len(data):
            self.overruns += 1
        self.bytes_written += count
        return count

    def run(self, stop: threading.Event) -> None:
        """Real-time loop for labs (run it in a thread): write each burst when due."""
        while not stop.is_set():
            self.poll()
            stop.wait(max(0, self.next_due_ns() - self._source()) / NS_PER_S)
