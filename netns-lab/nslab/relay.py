# SPDX-License-Identifier: GPL-2.0-or-later
"""A user-space impairment wire between two interfaces (netem stand-in).

Used when the kernel has no sch_netem. It forwards every frame between
interface A and interface B through AF_PACKET sockets, holding each one
for its direction's delay (+ uniform jitter), dropping a share of them and
pacing them to a bit rate. Departure times are counted from the kernel's
receive timestamp, so Python's wake-up latency shortens the wait instead of
adding to it; what it cannot hide (tens of microseconds on a busy machine)
is the same in both directions.

PACKET_VNET_HDR keeps GSO and partial-checksum metadata with each frame,
so TCP super-frames and locally generated UDP (checksum not yet filled in
on veth) cross the wire intact.

Run: ``python -m nslab.relay A B --a2b DELAY_NS,JITTER_NS,LOSS_PCT,RATE_BPS --b2a ...``
"""

from __future__ import annotations

import argparse
import ctypes
import heapq
import itertools
import os
import random
import select
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
PR_SET_TIMERSLACK = 29
#: sleep in select() until this close to a departure, then spin: a select()
#: wake-up on a busy machine comes tens to hundreds of microseconds late.
SPIN_NS = 300_000


@dataclass(frozen=True)
class Spec:
    """One direction's impairment; all zero means a plain wire."""

    delay_ns: int = 0
    jitter_ns: int = 0
    loss_pct: float = 0.0
    rate_bps: int = 0

    @classmethod
    def parse(cls, text: str) -> Spec:
        d, j, loss, rate = text.split(",")
        return cls(int(d), int(j), float(loss), int(rate))

    def format(self) -> str:
        return f"{self.delay_ns},{self.jitter_ns},{self.loss_pct},{self.rate_bps}"


def _open(ifname: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


class Direction:
    """Frames from ``src`` waiting to leave on ``dst``."""

    def __init__(self, src: socket.socket, dst: socket.socket, spec: Spec, rng: random.Random):
        self.src, self.dst, self.spec, self.rng = src, dst, spec, rng
        self.queue: list[tuple[int, int, bytes]] = []
        self.seq = itertools.count()
        self.last_departure = 0
        self.forwarded = 0
        self.dropped = 0
        self.lateness: list[int] = []

    def receive(self) -> None:
        while True:
            try:
                data, anc, _flags, addr = self.src.recvmsg(70000, 64)
            except BlockingIOError:
                return
            if addr[2] == PACKET_OUTGOING:
                continue  # our own transmissions seen on the way out
            arrival = time.clock_gettime_ns(time.CLOCK_REALTIME)
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    arrival = sec * 1_000_000_000 + nsec
            spec = self.spec
            if spec.loss_pct and self.rng.random() * 100.0 < spec.loss_pct:
                self.dropped += 1
                continue
            due = arrival + spec.delay_ns
            if spec.jitter_ns:
                due += self.rng.randint(-spec.jitter_ns, spec.jitter_ns)
            if spec.rate_bps:
                start = max(due, self.last_departure)
                due = start + (len(data) - 10) * 8 * 1_000_000_000 // spec.rate_bps
                self.last_departure = due
            heapq.heappush(self.queue, (due, next(self.seq), data))

    def send_due(self, now: int) -> None:
        while self.queue and self.queue[0][0] <= now:
            due, _, data = heapq.heappop(self.queue)
            self.lateness.append(time.clock_gettime_ns(time.CLOCK_REALTIME) - due)
            try:
                self.dst.send(data)
                self.forwarded += 1
            except OSError:
                self.dropped += 1

    def next_due(self) -> int | None:
        return self.queue[0][0] if self.queue else None


def run(a: str, b: str, a2b: Spec, b2a: Spec, seed: int | None = None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)  # wake up on time, not 50 us late
    try:  # a low real-time priority keeps other busy processes from delaying departures
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except OSError:
        pass
    sa, sb = _open(a), _open(b)
    rng = random.Random(seed)
    dirs = {sa.fileno(): Direction(sa, sb, a2b, rng), sb.fileno(): Direction(sb, sa, b2a, rng)}
    fds = list(dirs)

    def on_term(_sig: int, _frame: object) -> None:
        raise _Stop()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(f"relay {a}<->{b} ready", flush=True)
    try:
        _loop(fds, dirs)
    except _Stop:
        pass
    for name, d in (("a2b", dirs[sa.fileno()]), ("b2a", dirs[sb.fileno()])):
        late = sorted(d.lateness)
        med = late[len(late) // 2] if late else 0
        print(f"{name}: forwarded {d.forwarded} dropped {d.dropped} "
              f"lateness_ns median {med} max {late[-1] if late else 0}", flush=True)


class _Stop(Exception):
    """Raised by the signal handler: PEP 475 would otherwise resume select()."""


def _loop(fds: list[int], dirs: dict[int, Direction]) -> None:
    while True:
        dues = [d for d in (x.next_due() for x in dirs.values()) if d is not None]
        timeout: float | None = None
        if dues:
            wait = min(dues) - time.clock_gettime_ns(time.CLOCK_REALTIME)
            timeout = max(wait - SPIN_NS, 0) / 1e9
        # select() sleeps with microsecond resolution; epoll/poll only take milliseconds
        try:
            readable, _, _ = select.select(fds, [], [], timeout)
        except InterruptedError:
            continue
        for fd in readable:
            dirs[fd].receive()
        if not readable and dues:
            # woke up for a departure: spin the last stretch to leave on time
            target = min(dues)
            while time.clock_gettime_ns(time.CLOCK_REALTIME) < target:
                pass
        now = time.clock_gettime_ns(time.CLOCK_REALTIME)
        for d in dirs.values():
            d.send_due(now)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="nslab.relay")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--a2b", type=Spec.parse, default=Spec())
    p.add_argument("--b2a", type=Spec.parse, default=Spec())
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args(argv)
    run(args.a, args.b, args.a2b, args.b2a, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
