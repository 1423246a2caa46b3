# SPDX-License-Identifier: GPL-2.0-or-later
"""NTP load generator: runs in its own lab host and process, prints one JSON result.

`python -m ptpbridge.bench.ntp_loadgen '{"phase": "rate", ...}'`

rate:     requests from many source addresses (IP_PKTINFO), paced at a
          target rate for a fixed time per step, rising until more than
          `loss_limit` of the replies are missing or the generator itself
          cannot keep up; then two bisection steps. Every step's requests
          carry the step number in their transmit timestamp, which the
          server echoes, so late replies are counted for the right step.
accuracy: one request at a time; the reply's kernel RX timestamp at the
          generator minus the server's transmit timestamp, both on the
          lab's one CLOCK_REALTIME. Basic mode: the transmit timestamp of
          the same reply. Interleaved (RFC 9769): each request names the
          previous reply (origin = its receive timestamp, receive = when it
          arrived), and the server returns that reply's precise transmit
          time, compared with that reply's arrival.

Bounded in count and time: every phase takes its limits from the request.
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
from ptpbridge.bench.loadgen import RateRun, big_buffers
from ptpbridge.bench.rate_search import RampPlan, rate_search
from ptpbridge.io.cmsg import ANCILLARY_BUFSIZE, rx_timestamp
from ptpbridge.io.mmsg import SendBatch
from ptpbridge.wire.ntp import ntp64_to_utc_ns, utc_ns_to_ntp64

REQUEST_LEN = 48
CLIENT_V4 = (4 << 3) | 3
_U64 = struct.Struct("!Q")
_U32 = struct.Struct("!I")
_REPLY = struct.Struct("!BBbb4x4x4xQQQQ")  # flags, stratum, poll, precision, ..., ref, org, rec, xmt


class NtpRateRun(RateRun):
    """One socket, many source addresses; the step number rides in the transmit timestamp."""

    def __init__(self, server: str, port: int, sources: list[str]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        big_buffers(self.sock)
        self.sock.bind(("0.0.0.0", 0))
        tx = SendBatch(server, port, sources, REQUEST_LEN)
        for i in range(tx.count):
            tx.data[i * REQUEST_LEN] = CLIENT_V4
        super().__init__(tx, self.sock.fileno(), self.sock.fileno())

    def stamp(self, first: int, count: int, number: int, index: int) -> None:
        tag, data = (number << 32) + index - first, self.tx.data
        for j in range(first, first + count):
            _U64.pack_into(data, j * REQUEST_LEN + 40, tag + j)

    def reply_step(self, offset: int, length: int) -> int | None:
        data = self.rx.data
        if length >= REQUEST_LEN and data[offset] & 7 == 4:
            step: int = _U32.unpack_from(data, offset + 24)[0]  # the origin timestamp's seconds
            return step
        return None


def rate_ramp(req: dict[str, Any]) -> dict[str, Any]:
    """The highest rate answered with loss <= loss_limit (see rate_search)."""
    run = NtpRateRun(req["server"], int(req.get("port", 123)), list(req["sources"]))
    plan = RampPlan.from_request(req, start_rate=2000)
    ramp = rate_search(plan, lambda number, target: run.step(number, target, plan.step_s, plan.drain_s))
    return {"phase": "rate", "best_rate": ramp.best_rate, "limited_by": ramp.limited_by,
            "loss_limit": plan.loss_limit, "steps": ramp.steps}


def _stats(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    n = len(values)
    mean = math.fsum(values) / n
    return {"count": n, "mean_ns": round(mean), "rms_ns": round(math.sqrt(math.fsum(v * v for v in values) / n)),
            "std_ns": round(math.sqrt(math.fsum((v - mean) ** 2 for v in values) / n)),
            "median_ns": ordered[n // 2], "p99_ns": ordered[min(n - 1, (99 * n) // 100)],
            "min_ns": ordered[0], "max_ns": ordered[-1]}


def accuracy(req: dict[str, Any]) -> dict[str, Any]:
    """Transmit-timestamp error of one server, basic or interleaved, one request at a time."""
    server, port = req["server"], int(req.get("port", 123))
    interleaved = bool(req.get("interleaved", False))
    count, interval = int(req.get("count", 300)), float(req.get("interval_s", 0.005))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, int(SofFlag.RX_SOFTWARE | SofFlag.SOFTWARE))
    sock.bind((req["source"], 0))
    sock.settimeout(0.5)
    errors: list[int] = []
    turnaround: list[int] = []  # basic replies: the server's transmit minus its receive timestamp
    basic_replies = lost = 0
    prev: tuple[int, int, int] | None = None  # server rx field, our rx ntp64, our rx kernel ns
    deadline = time.monotonic() + float(req.get("max_seconds", 20))
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        xmt = utc_ns_to_ntp64(time.time_ns())
        org, rec = (prev[0], prev[1]) if interleaved and prev is not None else (0, 0)
        sock.sendto(struct.pack("!B3x4x4x4xQQQQ", CLIENT_V4, 0, org, rec, xmt), (server, port))
        reply = None
        while reply is None:
            try:
                data, anc, _, _ = sock.recvmsg(512, ANCILLARY_BUFSIZE)
            except TimeoutError:
                break
            rx_ns = rx_timestamp(anc, "software")
            if len(data) < REQUEST_LEN or rx_ns is None:
                continue
            fields = _REPLY.unpack_from(data)
            if fields[5] in (xmt, rec) and fields[0] & 7 == 4 and fields[1] != 0:
                reply = (fields, rx_ns)
        if reply is None:
            lost += 1
            prev = None
            time.sleep(interval)
            continue
        (flags, _stratum, _poll, _prec, _ref, origin, receive, transmit), rx_ns = reply
        server_tx = ntp64_to_utc_ns(transmit, rx_ns)
        if interleaved and prev is not None and origin == rec and rec != xmt:
            errors.append(prev[2] - server_tx)
        elif origin == xmt:
            basic_replies += 1
            if not interleaved:
                errors.append(rx_ns - server_tx)
                turnaround.append(server_tx - ntp64_to_utc_ns(receive, rx_ns))
        prev = (receive, utc_ns_to_ntp64(rx_ns), rx_ns)
        time.sleep(interval)
    return {"phase": "accuracy", "interleaved": interleaved, "basic_replies": basic_replies, "lost": lost,
            "error": _stats(errors), "turnaround": _stats(turnaround)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    req = json.loads(args[0])
    phase = req.get("phase")
    if phase == "rate":
        result = rate_ramp(req)
    elif phase == "accuracy":
        result = accuracy(req)
    else:
        print(json.dumps({"error": f"unknown phase {phase!r}"}))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
