# SPDX-License-Identifier: GPL-2.0-or-later
"""What every load generator shares: paced sends from many source addresses, replies counted per step.

A generator runs in its own lab host and process. Its requests leave in
sendmmsg batches (each from its own source address) at a target rate for a
fixed time; each request carries the step number, which the server echoes,
so a late reply still counts for the step that asked. What differs between
protocols (the request format, where the step number rides, which replies
count) is left to a subclass of RateRun.
"""

from __future__ import annotations

import socket
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Final

from ptpbridge.io.mmsg import RecvRing, SendBatch

BUFFER_BYTES: Final = 8 * 1024 * 1024
_SO_RCVBUFFORCE: Final = 33
_SO_SNDBUFFORCE: Final = 32
_RX_BATCH: Final = 256
_RX_SLOT: Final = 128


def parse_rcvbuf_errors(snmp: str) -> int:
    """UDP receive-buffer drops from the text of /proc/net/snmp."""
    lines = [line.split() for line in snmp.splitlines() if line.startswith("Udp:")]
    return int(dict(zip(lines[0][1:], lines[1][1:], strict=True))["RcvbufErrors"])


def udp_rcvbuf_errors() -> int:
    """This network namespace's UDP receive-buffer drops."""
    return parse_rcvbuf_errors(Path("/proc/net/snmp").read_text())


def big_buffers(sock: socket.socket) -> None:
    """Socket buffers large enough that a burst is lost at the server, not here (forced as root)."""
    for force, plain in ((_SO_RCVBUFFORCE, socket.SO_RCVBUF), (_SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, BUFFER_BYTES)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, plain, BUFFER_BYTES)


class RateRun(ABC):
    """A ring of prepared requests sent at a paced rate; replies counted per step number."""

    def __init__(self, tx: SendBatch, tx_fd: int, rx_fd: int) -> None:
        self.tx = tx
        self.tx_fd = tx_fd
        self.rx_fd = rx_fd
        self.rx = RecvRing(_RX_BATCH, _RX_SLOT, socket.AF_INET)
        self.replies: dict[int, int] = {}
        self.next = 0  # next message of the ring to send

    def begin_step(self, number: int) -> None:
        """Patch what stays the same for a whole step (nothing, unless a subclass says)."""

    @abstractmethod
    def stamp(self, first: int, count: int, number: int, index: int) -> None:
        """Patch ring messages first..first+count-1 as requests index.. of step `number`."""

    @abstractmethod
    def reply_step(self, offset: int, length: int) -> int | None:
        """The step number of the reply at rx.data[offset:offset + length], None if not a reply."""

    def idle(self) -> None:
        """Called between batches, for whatever else the generator watches."""

    def drain(self) -> int:
        """Take every waiting reply; how many there were."""
        got = 0
        size, replies = self.rx.size, self.replies
        while (n := self.rx.receive(self.rx_fd)) > 0:
            got += n
            for i, (_control, _flags, length) in enumerate(self.rx.results(n)):
                step = self.reply_step(i * size, length)
                if step is not None:
                    replies[step] = replies.get(step, 0) + 1
        return got

    def step(self, number: int, rate: float, seconds: float, drain_s: float) -> dict[str, Any]:
        """Send at `rate` for `seconds`, then wait `drain_s` for late replies."""
        tx = self.tx
        self.begin_step(number)
        errors_before = udp_rcvbuf_errors()
        sent = 0
        start_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
        t0 = time.monotonic()
        end = t0 + seconds
        while (now := time.monotonic()) < end:
            due = int((now - t0) * rate) - sent
            while due > 0:
                count = min(due, tx.count - self.next)
                self.stamp(self.next, count, number, sent)
                done = tx.send(self.tx_fd, self.next, count)
                sent += done
                due -= done
                self.next = (self.next + done) % tx.count
                if done < count:
                    break
            got = self.drain()
            self.idle()
            if got == 0 and due <= 0:
                time.sleep(0.0002)
        elapsed = time.monotonic() - t0
        end_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
        end = time.monotonic() + drain_s
        while time.monotonic() < end:
            self.idle()
            if self.drain() == 0:
                time.sleep(0.002)
        received = self.replies.get(number, 0)
        return {"target": round(rate), "sent": sent, "received": received, "seconds": round(elapsed, 3),
                "achieved": round(sent / elapsed), "loss": 1 - received / sent if sent else 1.0,
                "generator_drops": udp_rcvbuf_errors() - errors_before, "window_ns": (start_ns, end_ns)}
