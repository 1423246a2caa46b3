# SPDX-License-Identifier: GPL-2.0-or-later
"""One NTP worker process: its share of the server's sockets, a server core, kernel timestamps.

The daemon starts `python -m ptpbridge.daemon.ntp_worker --ipc-fd N
--parent PID` with the worker's sockets already bound (and, with several
workers, already in their SO_REUSEPORT group with the address-hash
program attached), then sends the config. The worker:

* receives requests in batches with their kernel RX timestamps
  (ntp_batch), maps each into the daemon's clock (hardware stamps are clock
  time already; software ones go through the daemon's ClockMap) and on to
  UTC through its copy of the daemon's timebase;
* lets the sans-IO core decide, reads the clock as late as it can for a
  basic reply's transmit timestamp (plus, unless `tx_latency_compensation`
  is off, the typical delay from that read to the kernel's transmit
  timestamp, learnt per socket from a few TX-stamped basic replies: see
  core/ntp/txlatency), sends the batch, and gives the kernel
  TX timestamp of a reply back to the core for interleaved mode. Only
  replies to requests in interleaved form (RFC 9769: origin neither zero
  nor the request's own transmit timestamp) are TX-timestamped: an
  interleaved client sends every request in that form, so it gets every
  timestamp it can use (its very first interleaved exchange is answered
  in basic mode, which clients expect), while basic clients, nearly all
  of them, cost no error-queue work; that doubles the request rate a
  worker sustains;
* pushes its counters to the daemon, answers client-table requests, and
  exits on SIGTERM (the daemon stops it by pid), when the daemon's end of
  the socketpair closes, or (PR_SET_PDEATHSIG) when the daemon dies.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import dataclasses
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from ptpbridge.config.ntp import NtpConfig
from ptpbridge.core.ntp import NtpServerCore
from ptpbridge.core.ntp.txlatency import TxLatency
from ptpbridge.daemon import ntp_ipc
from ptpbridge.daemon.ntp_batch import BatchSocket, SourceCounts
from ptpbridge.daemon.ntp_batch import asks_interleaved as asks_interleaved
from ptpbridge.daemon.ntp_clockmap import ClockMap
from ptpbridge.daemon.ntp_settings import core_config
from ptpbridge.daemon.ntp_state import state_from_json
from ptpbridge.io import IoCounters
from ptpbridge.io.transports import UdpTransport
from ptpbridge.io.tsmode import choose_mode, enable_timestamping
from ptpbridge.io.udp import Family, interface_index
from ptpbridge.timebase import Timebase, Timescale

log = logging.getLogger("ptpbridge.ntp.worker")

# "No leap step ahead": above any UTC a clock map can give.
_NO_STEP = 1 << 126

PR_SET_PDEATHSIG = 1
# Counters are pushed at most this often, and only when they changed.
PUSH_INTERVAL_S = 0.2
# How long a reply's kernel TX timestamp may take before it is given up on.
TX_TIMEOUT_NS = 100_000_000


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when the daemon dies; exit now if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:
        os._exit(1)


class TimeView:
    """The daemon's clock and timebase as this worker last heard of them."""

    def __init__(self, clock_map: ClockMap, timebase: Timebase, timescale: Timescale) -> None:
        self.map = clock_map
        self.timebase = timebase
        self.timescale = timescale
        self._leap_utc, self._before, self._after = _NO_STEP, 0, 0
        self.utc_map = self._utc_map()

    def _utc_map(self) -> ClockMap:
        """The map straight to UTC: the timebase's offset, constant until the next update, folded in.

        An announced leap (the Timebase's NTP rule) is kept beside it as the
        folded UTC at which it steps and the correction on either side, so the
        served UTC changes at the exact instant, not at the next update.
        """
        shift = self.timebase.to_utc_ns(self.map.clock_ns, self.timescale) - self.map.clock_ns
        self._leap_utc, self._before, self._after = _NO_STEP, 0, 0
        step_tai = self.timebase.utc_step_tai_ns() if self.timescale is Timescale.TAI else None
        if step_tai is not None:
            to_utc = self.timebase.tai_to_utc_ns
            self._leap_utc = step_tai + shift
            self._before = to_utc(step_tai - 1) - (step_tai - 1) - shift
            self._after = to_utc(step_tai) - step_tai - shift
        return dataclasses.replace(self.map, clock_ns=self.map.clock_ns + shift)

    def from_system_ns(self, realtime_ns: int) -> int:
        """The I/O layer's hook for software timestamps."""
        return self.map.from_system_ns(realtime_ns)

    def system_to_utc(self, realtime_ns: int) -> int:
        """UTC of a kernel software timestamp, in one step (the per-packet path)."""
        utc = self.utc_map.from_system_ns(realtime_ns)
        return utc + (self._before if utc < self._leap_utc else self._after)

    def to_utc(self, clock_ns: int) -> int:
        return self.timebase.to_utc_ns(clock_ns, self.timescale)

    def now_utc(self) -> int:
        utc = self.utc_map.now_ns()
        return utc + (self._before if utc < self._leap_utc else self._after)

    def update(self, message: ntp_ipc.Message) -> None:
        self.map = ClockMap.from_json(message["clock_map"])
        self.timebase.utc_offset_s = int(message["utc_offset_s"])
        if "timebase" in message:
            self.timebase.update_from_json(message["timebase"])
        self.timescale = Timescale(message["timescale"])
        self.utc_map = self._utc_map()


class Worker:
    """The event loop side of one worker."""

    def __init__(self, config: NtpConfig, workers: int, time_view: TimeView) -> None:
        self.core = NtpServerCore(core_config(config, workers))
        self.time = time_view
        self.sockets: list[BatchSocket] = []
        self.listen: list[dict[str, Any]] = []
        self.sources = SourceCounts()
        self.interleave = config.interleave
        self.compensate = config.tx_latency_compensation
        self.mode = config.timestamping

    def open(self, sockets: Sequence[dict[str, Any]]) -> None:
        """Wrap the inherited sockets in timestamping endpoints."""
        for spec in sockets:
            sock = socket.socket(fileno=int(spec["fd"]))
            interface = str(spec["interface"])
            try:
                choice = choose_mode(interface, self.mode)
                enable_timestamping(sock, choice.source)
            except BaseException:
                sock.close()
                raise
            family: Family = "ipv4" if sock.family == socket.AF_INET else "ipv6"
            transport = UdpTransport(family, interface_index(interface, "serve NTP"))
            latency = TxLatency() if self.compensate else None
            self.sockets.append(BatchSocket(sock, transport, choice.source, self.time, self.core, self.sources,
                                            interleave=self.interleave, tx_timeout_ns=TX_TIMEOUT_NS,
                                            latency=latency))
            self.listen.append({"interface": interface, "address": spec["address"],
                                "port": sock.getsockname()[1], "timestamping": choice.source,
                                "reason": choice.reason})

    # -- reports --------------------------------------------------------------

    def counters(self) -> ntp_ipc.Message:
        io = IoCounters()
        for batch in self.sockets:
            for name, value in batch.counters.as_dict().items():
                setattr(io, name, getattr(io, name) + value)
        core = self.core
        return {
            "type": "counters",
            "core": core.counters.as_dict(),
            "timestamps": {"rx": dict(self.sources.rx), "tx": dict(self.sources.tx),
                           "transmit_read_late": self.sources.late_transmit},
            "io": io.as_dict(),
            "clients": len(core.clients.table),
            "interleave_entries": len(core.interleave),
            "ratelimit_clients": 0 if core.limiter is None else len(core.limiter.table),
            # Per socket, in `listen` order; None where compensation is off.
            "tx_latency": [batch.latency_status() for batch in self.sockets],
        }

    def clients(self) -> list[dict[str, object]]:
        return [rec.as_dict() for rec in self.core.clients.snapshot()]

    def close(self) -> None:
        for batch in self.sockets:
            batch.close()


async def serve(ipc_fd: int) -> int:
    """Run one worker until told to stop; the exit code says how it ended."""
    reader, writer = await ntp_ipc.open_channel(socket.socket(fileno=ipc_fd))
    first = await ntp_ipc.receive(reader)
    if first is None or first.get("type") != "config":
        return 2
    index = int(first["index"])
    logging.getLogger("ptpbridge").setLevel(int(first.get("log_level", logging.INFO)))
    state = first["state"]
    view = TimeView(ClockMap.from_json(state["clock_map"]), Timebase(int(state["utc_offset_s"])),
                    Timescale(state["timescale"]))
    if "timebase" in state:
        view.update(state)
    try:
        worker = Worker(NtpConfig.model_validate(first["ntp"]), int(first["workers"]), view)
        worker.core.set_state(state_from_json(state["server"]))
        worker.open(first["sockets"])
    except Exception as exc:  # reported to the daemon, which stops start-up with it
        ntp_ipc.send(writer, {"type": "error", "message": str(exc)})
        await writer.drain()
        return 1
    ntp_ipc.send(writer, {"type": "ready", "pid": os.getpid(), "listen": worker.listen})
    await writer.drain()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    async def push() -> None:
        last: object = None
        while True:
            report = worker.counters()
            if report != last:
                ntp_ipc.send(writer, report)
                await writer.drain()
                last = report
            await asyncio.sleep(PUSH_INTERVAL_S)

    async def listen() -> None:
        while (message := await ntp_ipc.receive(reader)) is not None:
            kind = message["type"]
            if kind == "state":
                view.update(message)
                worker.core.set_state(state_from_json(message["server"]))
            elif kind == "clients":
                ntp_ipc.send(writer, {"type": "clients", "id": message.get("id"), "clients": worker.clients()})
                await writer.drain()

    tasks = [asyncio.create_task(push()), asyncio.create_task(listen()), asyncio.create_task(stop.wait())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        worker.close()
        writer.close()
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("worker %d: lost the daemon: %s", index, task.exception())
            return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ptpbridge-ntp-worker")
    parser.add_argument("--ipc-fd", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args(argv)
    die_with_parent(args.parent)
    # Ctrl-C reaches the whole process group; the daemon decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(serve(args.ipc_fd))


if __name__ == "__main__":
    sys.exit(main())
