# SPDX-License-Identifier: GPL-2.0-or-later
"""The NTP server component: sockets, worker processes, time state, status and client table.

The daemon process never answers a request itself. It binds every socket
(one SO_REUSEPORT group of `workers` sockets per interface and bind
address, the address-hash program attached), starts the workers with their
sockets, sends them the clock and time state every tick, and gathers their
counters for `ptpbridge status` and their client tables for `ptpbridge
clients`. Holding every socket itself keeps each group's order fixed, so a
restarted worker takes over exactly the clients its predecessor had.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phc.net_tstamp import SO_TIMESTAMPING
from ptpbridge.config.ntp import NtpConfig
from ptpbridge.core.ntp import ServerTimeState
from ptpbridge.daemon import ntp_ipc
from ptpbridge.daemon.control import Handler
from ptpbridge.daemon.ntp_clockmap import sample
from ptpbridge.daemon.ntp_counters import merge_counts
from ptpbridge.daemon.ntp_reuseport import attach
from ptpbridge.daemon.ntp_state import describe, measure_precision, server_state, state_to_json
from ptpbridge.daemon.quality import ntp_server_state
from ptpbridge.io.errors import IoSetupError
from ptpbridge.io.udp import Family, UdpConfig, open_udp_socket

if TYPE_CHECKING:
    from ptpbridge.daemon.app import Component, Daemon

log = logging.getLogger("ptpbridge.ntp")

TICK_S = 1.0
START_TIMEOUT_S = 30.0
STOP_GRACE_S = 3.0
RESTART_DELAY_S = 1.0
CLIENTS_TIMEOUT_S = 5.0
# Room for bursts: the default (rmem_default, ~200 KiB) holds a few hundred requests;
# this holds about 1500, a tenth of a second of a worker's work, so late replies stay rare.
RCVBUF_BYTES = 1024 * 1024
_SO_RCVBUFFORCE = 33


class NtpSetupError(Exception):
    """The NTP server cannot start; the message names the interface, address or worker.

    The one error `start` raises (socket problems from the I/O layer are
    wrapped), so `ptpbridge run` can report it in one line.
    """


@dataclass
class _Worker:
    index: int
    proc: asyncio.subprocess.Process | None = None
    writer: asyncio.StreamWriter | None = None
    reader_task: asyncio.Task[None] | None = None
    report: dict[str, Any] = field(default_factory=dict)
    listen: list[dict[str, Any]] = field(default_factory=list)
    restarts: int = 0
    pending: dict[int, asyncio.Future[list[dict[str, Any]]]] = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None and self.writer is not None


def _group(interface: str, address: str, port: int, workers: int) -> list[socket.socket]:
    """`workers` sockets bound in order to one (interface, address, port), program attached."""
    family: Family = "ipv6" if ":" in address else "ipv4"
    cfg = UdpConfig(interface, port, family, bind_address=address, reuse_port=True)
    socks: list[socket.socket] = []
    try:
        for _ in range(workers):
            sock, _ = open_udp_socket(cfg)
            socks.append(sock)
            try:
                sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, RCVBUF_BYTES)
            except PermissionError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
        if workers > 1:
            try:
                attach(socks[0], workers)
            except OSError as exc:
                raise IoSetupError(interface, f"attach reuseport program on [{address}]:{port}",
                                   exc.strerror or str(exc)) from exc
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


def _reset_timestamping(sock: socket.socket) -> None:
    """Before a new worker takes a socket: empty its error queue, let its OPT_ID count restart."""
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, 0)
    with contextlib.suppress(OSError):
        while True:
            sock.recvmsg(0, 1024, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)


class NtpService:
    """`Component` running the NTP server workers."""

    name = "ntp"

    def __init__(self, daemon: Daemon, config: NtpConfig) -> None:
        self.daemon = daemon
        self.config = config
        self.groups: list[list[socket.socket]] = []
        self.workers = [_Worker(i) for i in range(config.workers)]
        self.precision = -20
        self.state = ServerTimeState.unsynchronised()
        self._listen: list[tuple[str, str]] = []
        self._tick_task: asyncio.Task[None] | None = None
        self._restart_tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._stopping = False

    # -- Component --------------------------------------------------------

    async def start(self) -> None:
        cfg = self.config
        interfaces = cfg.interfaces if cfg.interfaces is not None else self.daemon.config.interfaces
        if not interfaces:
            raise NtpSetupError("ntp: no interface to serve on (give --interface or ntp.interfaces)")
        self.precision = measure_precision()
        try:
            for interface in interfaces:
                for address in cfg.bind_addresses:
                    self.groups.append(_group(interface, address, cfg.port, cfg.workers))
                    self._listen.append((interface, address))
            for worker in self.workers:
                await self._spawn(worker)
        except IoSetupError as exc:
            await self.stop()
            raise NtpSetupError(f"ntp: {exc}") from exc
        except BaseException:
            await self.stop()
            raise
        self._tick_task = asyncio.create_task(self._tick())
        log.info("ntp: %d worker(s) serving port %d on %s", cfg.workers, cfg.port,
                 ", ".join(f"{i} [{a}]" for i, a in self._listen))
        if not cfg.allow:
            log.warning("ntp: no 'allow' rule, so every client is denied (as in chrony)")

    async def stop(self) -> None:
        self._stopping = True
        tasks = [t for t in (self._tick_task, *self._restart_tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(self._stop_worker(w) for w in self.workers))
        for group in self.groups:
            for sock in group:
                sock.close()
        self.groups.clear()

    def status(self) -> dict[str, Any]:
        reports = [w.report for w in self.workers if w.report]
        core = merge_counts([r["core"] for r in reports])
        return {
            **describe(self.state, self.config.reference_id),
            "listen": self.workers[0].listen,
            "workers": [self._worker_status(w) for w in self.workers],
            "counters": core,
            "timestamps": merge_counts([r["timestamps"] for r in reports]),
            "io": merge_counts([r["io"] for r in reports]),
            "clients": sum(int(r["clients"]) for r in reports),
            "interleave_entries": sum(int(r["interleave_entries"]) for r in reports),
            "ratelimit_clients": sum(int(r["ratelimit_clients"]) for r in reports),
        }

    def control_handlers(self) -> dict[str, Handler]:
        return {"ntp_clients": self._handle_clients}

    # -- workers ------------------------------------------------------------

    def _worker_status(self, worker: _Worker) -> dict[str, Any]:
        core = worker.report.get("core", {})
        return {"index": worker.index, "pid": worker.proc.pid if worker.proc else None,
                "alive": worker.alive, "restarts": worker.restarts,
                "received": core.get("received", 0), "replied": core.get("replied", 0),
                "tx_latency": worker.report.get("tx_latency", [])}

    def _state_message(self) -> ntp_ipc.Message:
        served = self.daemon.served
        assert served is not None
        timebase = self.daemon.timebase
        clock_map = sample(served.clock)
        now_utc = timebase.to_utc_ns(clock_map.clock_ns, served.timescale)
        self.state = server_state(self.config, timebase, now_utc, self.precision)
        if self.daemon.quality is not None:  # [[reference]]: stratum, refid, root figures from it
            self.state = ntp_server_state(self.state, self.daemon.quality.current, timebase)
        return {"type": "state", "clock_map": clock_map.to_json(), "utc_offset_s": timebase.utc_offset_s,
                "timebase": timebase.to_json(), "timescale": served.timescale.value, "server": state_to_json(self.state)}

    async def _spawn(self, worker: _Worker) -> None:
        socks = [group[worker.index] for group in self.groups]
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            worker.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ptpbridge.daemon.ntp_worker",
                "--ipc-fd", str(child_end.fileno()), "--parent", str(os.getpid()),
                pass_fds=[child_end.fileno(), *(s.fileno() for s in socks)],
                stdin=asyncio.subprocess.DEVNULL,
            )
        finally:
            child_end.close()
        reader, writer = await ntp_ipc.open_channel(parent_end)
        ntp_ipc.send(writer, {
            "type": "config", "index": worker.index, "workers": len(self.workers),
            "ntp": self.config.model_dump(mode="json"),
            "log_level": logging.getLogger("ptpbridge").getEffectiveLevel(),
            "sockets": [{"fd": s.fileno(), "interface": i, "address": a}
                        for s, (i, a) in zip(socks, self._listen, strict=True)],
            "state": self._state_message(),
        })
        await writer.drain()
        try:
            first = await asyncio.wait_for(ntp_ipc.receive(reader), START_TIMEOUT_S)
        except (TimeoutError, ntp_ipc.IpcError):
            first = None
        if first is None or first["type"] != "ready":
            writer.close()
            await self._reap(worker)
            reason = first.get("message") if first else "exited or did not answer"
            raise NtpSetupError(f"ntp: worker {worker.index} failed to start: {reason}")
        worker.writer = writer
        worker.listen = list(first["listen"])
        worker.reader_task = asyncio.create_task(self._read(worker, reader))

    async def _read(self, worker: _Worker, reader: asyncio.StreamReader) -> None:
        try:
            while (message := await ntp_ipc.receive(reader)) is not None:
                if message["type"] == "counters":
                    worker.report = message
                elif message["type"] == "clients":
                    future = worker.pending.pop(int(message["id"]), None)
                    if future is not None and not future.done():
                        future.set_result(list(message["clients"]))
        except ntp_ipc.IpcError as exc:
            log.error("ntp: worker %d sent garbage (%s); restarting it", worker.index, exc)
        if worker.writer is not None:
            worker.writer.close()
            worker.writer = None
        for future in worker.pending.values():
            if not future.done():
                future.set_result([])
        worker.pending.clear()
        if not self._stopping:
            code = await self._reap(worker)
            log.error("ntp: worker %d exited (code %s); restarting it", worker.index, code)
            task = asyncio.create_task(self._restart(worker))
            self._restart_tasks.add(task)
            task.add_done_callback(self._restart_tasks.discard)

    async def _restart(self, worker: _Worker) -> None:
        await asyncio.sleep(RESTART_DELAY_S)
        if self._stopping:
            return
        for group in self.groups:
            _reset_timestamping(group[worker.index])
        worker.restarts += 1
        worker.report = {}
        try:
            await self._spawn(worker)
        except NtpSetupError as exc:
            log.error("%s", exc)

    async def _reap(self, worker: _Worker) -> int | None:
        """Stop the worker's process by pid: SIGTERM, then SIGKILL after a grace period."""
        proc = worker.proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        return proc.returncode

    async def _stop_worker(self, worker: _Worker) -> None:
        await self._reap(worker)
        if worker.reader_task is not None:
            worker.reader_task.cancel()
            await asyncio.gather(worker.reader_task, return_exceptions=True)
        if worker.writer is not None:
            worker.writer.close()
            worker.writer = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            message = self._state_message()
            for worker in self.workers:
                if worker.alive and worker.writer is not None:
                    ntp_ipc.send(worker.writer, message)

    # -- control commands ---------------------------------------------------

    async def _worker_clients(self, worker: _Worker) -> list[dict[str, Any]]:
        if not worker.alive or worker.writer is None:
            return []
        request_id = next(self._ids)
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        worker.pending[request_id] = future
        ntp_ipc.send(worker.writer, {"type": "clients", "id": request_id})
        try:
            return await asyncio.wait_for(future, CLIENTS_TIMEOUT_S)
        except TimeoutError:
            worker.pending.pop(request_id, None)
            return []

    async def _handle_clients(self, _request: dict[str, Any]) -> dict[str, Any]:
        tables = await asyncio.gather(*(self._worker_clients(w) for w in self.workers))
        served = self.daemon.served
        assert served is not None
        now_utc = self.daemon.timebase.to_utc_ns(served.clock.now_ns(), served.timescale)
        clients = [dict(rec, worker=w.index) for w, table in zip(self.workers, tables, strict=True)
                   for rec in table]
        return {"now_utc_ns": now_utc, "max_clients": self.config.client_log_entries, "clients": clients}


def ntp_components(daemon: Daemon) -> list[Component]:
    """The component factory for `ptpbridge run`: the NTP server when `[ntp]` is configured."""
    config = daemon.config.ntp
    if config is None or not config.enabled:
        return []
    return [NtpService(daemon, config)]
