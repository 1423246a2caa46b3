# SPDX-License-Identifier: GPL-2.0-or-later
"""Delay_Req load generator: runs in its own lab host and process, prints one JSON result.

`python -m ptpbridge.bench.ptp_loadgen '{"server": "198.18.0.1", "sources": [...], ...}'`

Unicast Delay_Req (unicastFlag set, as ptp4l's hybrid_e2e slaves send)
from many source addresses (IP_PKTINFO), each address one slave clock,
paced at a target rate for a fixed time per step, rising until more than
`loss_limit` of the Delay_Resp are missing or the generator itself cannot
keep up; then two bisection steps. The step number rides in the
requesting portNumber, which the master echoes, so a late reply is counted
for the right step.

Meanwhile a second socket joined to the primary group takes the
grandmaster's Sync messages with their kernel receive timestamps: the Sync
intervals during each step show whether the flood disturbs the master's
own schedule (kernel stamps, so this process's scheduling does not enter).

Bounded in count and time: every limit comes from the request.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import sys
import time
from typing import Any

from phc.net_tstamp import SO_TIMESTAMPING, SofFlag
from ptpbridge.bench.ntp_loadgen import udp_rcvbuf_errors
from ptpbridge.bench.ntp_mmsg import RecvBatch, SendBatch
from ptpbridge.io.cmsg import ANCILLARY_BUFSIZE, rx_timestamp
from ptpbridge.wire.ptp.constants import EVENT_PORT, GENERAL_PORT, IPV4_PRIMARY, Flag, MessageType
from ptpbridge.wire.ptp.fast import DelayReqMsg, encode, header_for
from ptpbridge.wire.ptp.values import ClockIdentity, PortIdentity

_SO_RCVBUFFORCE = 33
_SO_SNDBUFFORCE = 32
_IP_MULTICAST_ALL = 49
BUFFER_BYTES = 8 * 1024 * 1024
_U16 = struct.Struct(">H")
_TS = struct.Struct(">HII")
# Offsets in the messages (IEEE 1588-2019 13.3, 13.6, 13.8).
_OFF_SEQUENCE_ID = 30
_OFF_SOURCE_PORT_NUMBER = 28
_OFF_REQUESTING_PORT_NUMBER = 52
DELAY_RESP_LEN = 54


def delay_req_template(domain: int) -> bytes:
    """One Delay_Req (44 octets) built by the project's codec; identity and ids patched per send."""
    header = header_for(MessageType.DELAY_REQ, domain=domain, flags=int(Flag.UNICAST),
                        source_port_identity=PortIdentity(ClockIdentity(bytes(8)), 1))
    return encode(DelayReqMsg.make(header))


def _big_buffers(sock: socket.socket) -> None:
    for force, plain in ((_SO_RCVBUFFORCE, socket.SO_RCVBUF), (_SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, BUFFER_BYTES)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, plain, BUFFER_BYTES)


class SyncMonitor:
    """The grandmaster's Sync schedule: departures (its Follow_Ups) and arrivals (kernel-stamped).

    A Follow_Up's preciseOriginTimestamp is the master's own TX timestamp
    of its Sync, so their differences are the intervals at which the master
    really sent, whatever the lab's bridge queued on the way; arrivals add
    that queueing. Both are compared with the nominal interval.
    """

    def __init__(self, server: str, interface: str) -> None:
        self.server = server
        self.sync = self._socket(interface, EVENT_PORT, timestamps=True)
        self.follow_up = self._socket(interface, GENERAL_PORT, timestamps=False)
        self.arrivals: list[int] = []  # (our kernel RX ns of each Sync)
        self.departures: list[tuple[int, int]] = []  # (our kernel RX ns, preciseOriginTimestamp ns)

    @staticmethod
    def _socket(interface: str, port: int, timestamps: bool) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Bound to the group itself, beside the unicast socket on the same port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, int(SofFlag.RX_SOFTWARE | SofFlag.SOFTWARE))
        sock.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
        sock.bind((IPV4_PRIMARY, port))
        mreqn = struct.pack("=4s4si", socket.inet_aton(IPV4_PRIMARY), bytes(4), socket.if_nametoindex(interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
        sock.setblocking(False)
        return sock

    def drain(self) -> None:
        for sock, kind in ((self.sync, MessageType.SYNC), (self.follow_up, MessageType.FOLLOW_UP)):
            while True:
                try:
                    data, anc, _, addr = sock.recvmsg(256, ANCILLARY_BUFSIZE)
                except BlockingIOError:
                    break
                stamp = rx_timestamp(anc, "software")
                if addr[0] != self.server or len(data) < 44 or data[0] & 0x0F != kind or stamp is None:
                    continue
                if kind == MessageType.SYNC:
                    self.arrivals.append(stamp)
                else:
                    high, low, nsec = _TS.unpack_from(data, 34)
                    self.departures.append((stamp, ((high << 32) | low) * 1_000_000_000 + nsec))

    def intervals(self, start_ns: int, end_ns: int) -> tuple[list[int], list[int]]:
        """(departure intervals, arrival intervals) of the Syncs seen between start and end."""
        sent = [origin for seen, origin in self.departures if start_ns <= seen <= end_ns]
        came = [t for t in self.arrivals if start_ns <= t <= end_ns]
        return [b - a for a, b in zip(sent, sent[1:])], [b - a for a, b in zip(came, came[1:])]


def interval_stats(intervals: list[int], nominal_ns: int) -> dict[str, Any]:
    """How far the Sync intervals strayed from nominal; `within` counts those inside +-10%."""
    if not intervals:
        return {"count": 0}
    mean = math.fsum(intervals) / len(intervals)
    within = sum(1 for i in intervals if abs(i - nominal_ns) <= nominal_ns // 10)
    return {"count": len(intervals), "mean_ns": round(mean), "min_ns": min(intervals), "max_ns": max(intervals),
            "within_10pct": within, "mean_error_pct": round(100 * (mean - nominal_ns) / nominal_ns, 2)}


class RateRun:
    """One send socket, many source addresses (one slave clock each); replies counted per step."""

    def __init__(self, server: str, sources: list[str], domain: int) -> None:
        self.tx_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        _big_buffers(self.tx_sock)
        self.tx_sock.bind(("0.0.0.0", 0))
        self.rx_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # beside the monitor's
        _big_buffers(self.rx_sock)
        self.rx_sock.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
        self.rx_sock.bind(("0.0.0.0", GENERAL_PORT))  # masters answer on the general port
        template = delay_req_template(domain)
        self.size = len(template)
        self.tx = SendBatch(server, EVENT_PORT, sources, self.size)
        for i in range(self.tx.count):
            off = i * self.size
            self.tx.view[off:off + self.size] = template
            # clockIdentity 02:70:74:ff:fe:00:<index>: one slave clock per source address
            self.tx.view[off + 20:off + 28] = bytes((0x02, 0x70, 0x74, 0xFF, 0xFE, 0, i >> 8 & 0xFF, i & 0xFF))
        self.rx = RecvBatch(256, 128)
        self.replies: dict[int, int] = {}
        self.next = 0

    def drain(self) -> int:
        got = 0
        view, size, replies = self.rx.view, self.rx.size, self.replies
        fd = self.rx_sock.fileno()
        while (n := self.rx.receive(fd)) > 0:
            got += n
            for i in range(n):
                off = i * size
                if self.rx.length(i) >= DELAY_RESP_LEN and view[off] & 0x0F == MessageType.DELAY_RESP:
                    step = _U16.unpack_from(view, off + _OFF_REQUESTING_PORT_NUMBER)[0]
                    replies[step] = replies.get(step, 0) + 1
        return got

    def step(self, number: int, rate: float, seconds: float, drain_s: float,
             monitor: SyncMonitor | None) -> dict[str, Any]:
        """Send at `rate` for `seconds`, then wait `drain_s` for late replies."""
        view, tx, size = self.tx.view, self.tx, self.size
        port_number = _U16.pack(number)
        for i in range(tx.count):
            view[i * size + _OFF_SOURCE_PORT_NUMBER:i * size + _OFF_SOURCE_PORT_NUMBER + 2] = port_number
        errors_before = udp_rcvbuf_errors()
        sent = 0
        fd = self.tx_sock.fileno()
        start_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
        t0 = time.monotonic()
        end = t0 + seconds
        while (now := time.monotonic()) < end:
            due = int((now - t0) * rate) - sent
            while due > 0:
                count = min(due, tx.count - self.next)
                seq = sent
                for j in range(self.next, self.next + count):
                    _U16.pack_into(view, j * size + _OFF_SEQUENCE_ID, seq & 0xFFFF)
                    seq += 1
                done = tx.send(fd, self.next, count)
                sent += done
                due -= done
                self.next = (self.next + done) % tx.count
                if done < count:
                    break
            got = self.drain()
            if monitor is not None:
                monitor.drain()
            if got == 0 and due <= 0:
                time.sleep(0.0002)
        elapsed = time.monotonic() - t0
        end_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
        end = time.monotonic() + drain_s
        while time.monotonic() < end:
            if monitor is not None:
                monitor.drain()
            if self.drain() == 0:
                time.sleep(0.002)
        received = self.replies.get(number, 0)
        return {"target": round(rate), "sent": sent, "received": received, "seconds": round(elapsed, 3),
                "achieved": round(sent / elapsed), "loss": 1 - received / sent if sent else 1.0,
                "generator_drops": udp_rcvbuf_errors() - errors_before, "window_ns": (start_ns, end_ns)}


def rate_ramp(req: dict[str, Any]) -> dict[str, Any]:
    """Raise the rate until replies are lost; the highest rate with loss <= loss_limit."""
    run = RateRun(req["server"], list(req["sources"]), int(req.get("domain", 0)))
    nominal_ns = int(1e9 * 2.0 ** int(req.get("log_sync_interval", -3)))
    monitor = SyncMonitor(req["server"], req["interface"]) if req.get("interface") else None
    limit = float(req.get("loss_limit", 0.001))
    step_s, drain_s = float(req.get("step_s", 1.0)), float(req.get("drain_s", 0.3))
    deadline = time.monotonic() + float(req.get("max_seconds", 40))
    rate = float(req.get("start_rate", 1000))
    factor = float(req.get("factor", 1.5))
    max_rate = float(req.get("max_rate", 200_000))
    steps: list[dict[str, Any]] = []
    good: dict[str, Any] | None = None
    bad: float | None = None
    limited_by = "max_rate"

    def run_step(target: float) -> dict[str, Any]:
        result = run.step(len(steps) + 1, target, step_s, drain_s, monitor)
        result["ok"] = result["loss"] <= limit
        if monitor is not None:
            departures, arrivals = monitor.intervals(*result["window_ns"])
            result["sync"] = interval_stats(departures, nominal_ns)
            result["sync_arrivals"] = interval_stats(arrivals, nominal_ns)
        steps.append(result)
        return result

    while rate <= max_rate and time.monotonic() < deadline:
        result = run_step(rate)
        if result["ok"]:
            good = result
        else:
            bad = rate
        if result["achieved"] < 0.9 * rate:
            limited_by = "generator"
            break
        if not result["ok"]:
            limited_by = "server" if result["generator_drops"] == 0 else "generator"
            break
        rate *= factor
    if good is not None and bad is not None:
        low, high = good["target"], bad
        for _ in range(2):
            if time.monotonic() >= deadline:
                break
            mid = (low + high) / 2
            result = run_step(mid)
            if result["ok"]:
                low = mid
                if result["achieved"] > good["achieved"]:
                    good = result
            else:
                high = mid
    best = good["achieved"] if good else 0
    # The Sync schedule under the heaviest flood the master still answered in full.
    none = {"count": 0}
    return {"best_rate": best, "limited_by": limited_by, "loss_limit": limit, "sync_nominal_ns": nominal_ns,
            "sync_at_best": good.get("sync", none) if good else none,
            "sync_arrivals_at_best": good.get("sync_arrivals", none) if good else none, "steps": steps}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(json.dumps(rate_ramp(json.loads(args[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
