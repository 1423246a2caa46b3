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
from typing import Any

from phc.net_tstamp import SO_TIMESTAMPING, SofFlag
from ptpbridge.bench.loadgen import RateRun, big_buffers
from ptpbridge.bench.rate_search import RampPlan, rate_search
from ptpbridge.io.cmsg import ANCILLARY_BUFSIZE, rx_timestamp
from ptpbridge.io.mmsg import SendBatch
from ptpbridge.wire.ptp.constants import EVENT_PORT, GENERAL_PORT, IPV4_PRIMARY, Flag, MessageType
from ptpbridge.wire.ptp.fast import DelayReqMsg, encode, header_for
from ptpbridge.wire.ptp.values import ClockIdentity, PortIdentity

_IP_MULTICAST_ALL = 49
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


class DelayReqRun(RateRun):
    """Delay_Req from many source addresses (one slave clock each); the step number rides in
    the source portNumber, which the master echoes as requestingPortNumber."""

    def __init__(self, server: str, sources: list[str], domain: int, monitor: SyncMonitor | None) -> None:
        self.monitor = monitor
        self.tx_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        big_buffers(self.tx_sock)
        self.tx_sock.bind(("0.0.0.0", 0))
        self.rx_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # beside the monitor's
        big_buffers(self.rx_sock)
        self.rx_sock.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
        self.rx_sock.bind(("0.0.0.0", GENERAL_PORT))  # masters answer on the general port
        template = delay_req_template(domain)
        self.size = len(template)
        tx = SendBatch(server, EVENT_PORT, sources, self.size)
        for i in range(tx.count):
            off = i * self.size
            tx.data[off:off + self.size] = template
            # clockIdentity 02:70:74:ff:fe:00:<index>: one slave clock per source address
            tx.data[off + 20:off + 28] = bytes((0x02, 0x70, 0x74, 0xFF, 0xFE, 0, i >> 8 & 0xFF, i & 0xFF))
        super().__init__(tx, self.tx_sock.fileno(), self.rx_sock.fileno())

    def begin_step(self, number: int) -> None:
        data, size = self.tx.data, self.size
        port_number = _U16.pack(number)
        for i in range(self.tx.count):
            data[i * size + _OFF_SOURCE_PORT_NUMBER:i * size + _OFF_SOURCE_PORT_NUMBER + 2] = port_number

    def stamp(self, first: int, count: int, number: int, index: int) -> None:
        data, size = self.tx.data, self.size
        for j in range(first, first + count):
            _U16.pack_into(data, j * size + _OFF_SEQUENCE_ID, index & 0xFFFF)
            index += 1

    def reply_step(self, offset: int, length: int) -> int | None:
        data = self.rx.data
        if length >= DELAY_RESP_LEN and data[offset] & 0x0F == MessageType.DELAY_RESP:
            step: int = _U16.unpack_from(data, offset + _OFF_REQUESTING_PORT_NUMBER)[0]
            return step
        return None

    def idle(self) -> None:
        if self.monitor is not None:
            self.monitor.drain()


def rate_ramp(req: dict[str, Any]) -> dict[str, Any]:
    """The highest rate answered with loss <= loss_limit (see rate_search), and the Sync schedule then."""
    nominal_ns = int(1e9 * 2.0 ** int(req.get("log_sync_interval", -3)))
    monitor = SyncMonitor(req["server"], req["interface"]) if req.get("interface") else None
    run = DelayReqRun(req["server"], list(req["sources"]), int(req.get("domain", 0)), monitor)
    plan = RampPlan.from_request(req, start_rate=1000)

    def run_step(number: int, target: float) -> dict[str, Any]:
        result = run.step(number, target, plan.step_s, plan.drain_s)
        if monitor is not None:
            departures, arrivals = monitor.intervals(*result["window_ns"])
            result["sync"] = interval_stats(departures, nominal_ns)
            result["sync_arrivals"] = interval_stats(arrivals, nominal_ns)
        return result

    ramp = rate_search(plan, run_step)
    good = ramp.good
    # The Sync schedule under the heaviest flood the master still answered in full.
    none = {"count": 0}
    return {"best_rate": ramp.best_rate, "limited_by": ramp.limited_by, "loss_limit": plan.loss_limit,
            "sync_nominal_ns": nominal_ns, "sync_at_best": good.get("sync", none) if good else none,
            "sync_arrivals_at_best": good.get("sync_arrivals", none) if good else none, "steps": ramp.steps}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(json.dumps(rate_ramp(json.loads(args[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
