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
from pathlib import Path
from typing import Any

from phc.net_tstamp import SO_TIMESTAMPING, SofFlag
from ptpbridge.bench.ntp_mmsg import RecvBatch, SendBatch
from ptpbridge.io.cmsg import ANCILLARY_BUFSIZE, rx_timestamp
from ptpbridge.wire.ntp import ntp64_to_utc_ns, utc_ns_to_ntp64

REQUEST_LEN = 48
CLIENT_V4 = (4 << 3) | 3
_U64 = struct.Struct("!Q")
_U32 = struct.Struct("!I")
_REPLY = struct.Struct("!BBbb4x4x4xQQQQ")  # flags, stratum, poll, precision, ..., ref, org, rec, xmt
_SO_RCVBUFFORCE = 33
_SO_SNDBUFFORCE = 32
BUFFER_BYTES = 8 * 1024 * 1024


def parse_rcvbuf_errors(snmp: str) -> int:
    """UDP receive-buffer drops from the text of /proc/net/snmp."""
    lines = [line.split() for line in snmp.splitlines() if line.startswith("Udp:")]
    return int(dict(zip(lines[0][1:], lines[1][1:], strict=True))["RcvbufErrors"])


def udp_rcvbuf_errors() -> int:
    """This network namespace's UDP receive-buffer drops."""
    return parse_rcvbuf_errors(Path("/proc/net/snmp").read_text())


def _big_buffers(sock: socket.socket) -> None:
    for force, plain in ((_SO_RCVBUFFORCE, socket.SO_RCVBUF), (_SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, BUFFER_BYTES)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, plain, BUFFER_BYTES)


class RateRun:
    """One socket, many source addresses, replies counted per step."""

    def __init__(self, server: str, port: int, sources: list[str]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        _big_buffers(self.sock)
        self.sock.bind(("0.0.0.0", 0))
        self.fd = self.sock.fileno()
        self.tx = SendBatch(server, port, sources, REQUEST_LEN)
        for i in range(self.tx.count):
            self.tx.view[i * REQUEST_LEN] = CLIENT_V4
        self.rx = RecvBatch(256, 128)
        self.replies: dict[int, int] = {}
        self.next = 0  # next message of the batch ring to send

    def drain(self) -> int:
        got = 0
        view, size, replies = self.rx.view, self.rx.size, self.replies
        while (n := self.rx.receive(self.fd)) > 0:
            got += n
            for i in range(n):
                off = i * size
                if self.rx.length(i) >= REQUEST_LEN and view[off] & 7 == 4:
                    step = _U32.unpack_from(view, off + 24)[0]
                    replies[step] = replies.get(step, 0) + 1
        return got

    def step(self, number: int, rate: float, seconds: float, drain_s: float) -> dict[str, Any]:
        """Send at `rate` for `seconds`, then wait `drain_s` for late replies."""
        tag = number << 32
        view, tx = self.tx.view, self.tx
        errors_before = udp_rcvbuf_errors()
        sent = 0
        t0 = time.monotonic()
        end = t0 + seconds
        while (now := time.monotonic()) < end:
            due = int((now - t0) * rate) - sent
            while due > 0:
                count = min(due, tx.count - self.next)
                for j in range(self.next, self.next + count):
                    _U64.pack_into(view, j * REQUEST_LEN + 40, tag | (sent + j - self.next))
                done = tx.send(self.fd, self.next, count)
                sent += done
                due -= done
                self.next = (self.next + done) % tx.count
                if done < count:
                    break
            if self.drain() == 0 and due <= 0:
                time.sleep(0.0002)
        elapsed = time.monotonic() - t0
        end = time.monotonic() + drain_s
        while time.monotonic() < end:
            if self.drain() == 0:
                time.sleep(0.002)
        received = self.replies.get(number, 0)
        return {"target": rate, "sent": sent, "received": received, "seconds": round(elapsed, 3),
                "achieved": round(sent / elapsed), "loss": 1 - received / sent if sent else 1.0,
                "generator_drops": udp_rcvbuf_errors() - errors_before}


def rate_ramp(req: dict[str, Any]) -> dict[str, Any]:
    """Raise the rate until replies are lost; the highest rate with loss <= loss_limit."""
    run = RateRun(req["server"], int(req.get("port", 123)), list(req["sources"]))
    limit = float(req.get("loss_limit", 0.001))
    step_s, drain_s = float(req.get("step_s", 1.0)), float(req.get("drain_s", 0.3))
    deadline = time.monotonic() + float(req.get("max_seconds", 40))
    rate = float(req.get("start_rate", 2000))
    factor = float(req.get("factor", 1.5))
    max_rate = float(req.get("max_rate", 200_000))
    steps: list[dict[str, Any]] = []
    good: dict[str, Any] | None = None
    bad: float | None = None
    limited_by = "max_rate"

    def run_step(target: float) -> dict[str, Any]:
        result = run.step(len(steps) + 1, target, step_s, drain_s)
        result["ok"] = result["loss"] <= limit
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
    return {"phase": "rate", "best_rate": good["achieved"] if good else 0, "limited_by": limited_by,
            "loss_limit": limit, "steps": steps}


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
        prev = (receive, utc_ns_to_ntp64(rx_ns), rx_ns)
        time.sleep(interval)
    return {"phase": "accuracy", "interleaved": interleaved, "basic_replies": basic_replies, "lost": lost,
            "error": _stats(errors)}


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
