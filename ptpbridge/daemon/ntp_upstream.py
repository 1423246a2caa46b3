# SPDX-License-Identifier: GPL-2.0-or-later
"""The upstream NTP client's I/O: timestamping sockets, name resolution and the poll timer.

The protocol lives in `ptpbridge.core.ntp_client` (sans-IO); this module
only moves its bytes. Requests leave from one timestamping UDP endpoint per
address family (the I/O layer's, as the server side uses), bound to the
configured interface when there is one, so T1 is the kernel's transmit
timestamp and T4 its receive timestamp, both mapped into the served
clock's time base and then to UTC by the one Timebase. Replies are routed
by sender address to their source; after every accepted sample the group's
selection runs and `on_update(group, source, sample)` is told.

One `NtpGroup` per priority level: the servers and pools of one priority
are selected together (intersection, clustering, combining), as chrony
selects among all its sources; different priorities are different
references for the reference manager.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ptpbridge.config.references import NtpReferenceConfig
from ptpbridge.core.ntp.keys import SymmetricKey, load_key_file
from ptpbridge.core.ntp_client import DEFAULT_TUNING, DropReason, NtpClientCore, NtpSource, Sample, SelectionResult
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.ptp_netif import read_host
from ptpbridge.daemon.tasks import cancel_and_wait
from ptpbridge.io import IoSetupError, RxPacket, TimestampingEndpoint, TxHandle, UdpAddress, UdpConfig
from ptpbridge.io import open_udp_endpoint
from ptpbridge.io.rx_warmup import wait_for_rx_timestamping
from ptpbridge.io.transports import UdpTransport
from ptpbridge.io.tsmode import ModeChoice, RequestedMode, enable_timestamping
from ptpbridge.io.udp import Family
from ptpbridge.timebase import NS_PER_S, Timebase
from ptpbridge.wire.ntp.refid import refid_for_source

log = logging.getLogger("ptpbridge.references")

# Unresolved names are retried, and pools refilled, this often.
RESOLVE_RETRY_NS = 30 * NS_PER_S
# iburst sends eight requests, as ntpd does (chrony sends four): a reference steers only once
# its clock filter holds no dummy stage (those stretch root distance to ~1 s, too wide for the
# intersection to tell a 50 ms falseticker), so a full burst makes it usable right after it.
UPSTREAM_TUNING = replace(DEFAULT_TUNING, burst_count=8)
# The poll loop wakes at least this often.
MAX_SLEEP_NS = NS_PER_S


@dataclass
class NtpGroup:
    """The ntp references of one priority: one client core, one selection."""

    name: str
    priority: int
    core: NtpClientCore
    entries: list[NtpReferenceConfig]
    # Entries still waiting for their name to resolve (index into entries), with retry time.
    unresolved: dict[int, int] = field(default_factory=dict)
    last_result: SelectionResult | None = None
    updates: int = 0


def _family(address: str) -> Family:
    return "ipv6" if ipaddress.ip_address(address.split("%", 1)[0]).version == 6 else "ipv4"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class NtpUpstream:
    """All ntp references of the daemon: groups, endpoints and the polling task."""

    def __init__(self, served: ServedClock, timebase: Timebase, entries: list[NtpReferenceConfig],
                 *, interface: str | None, default_key_file: str | None,
                 on_update: Callable[[NtpGroup, NtpSource, Sample], None],
                 monotonic_ns: Callable[[], int] = time.monotonic_ns) -> None:
        self.served = served
        self.timebase = timebase
        self.interface = interface
        self.on_update = on_update
        self._mono = monotonic_ns
        self.groups: list[NtpGroup] = []
        self.endpoints: dict[Family, TimestampingEndpoint[UdpAddress]] = {}
        self.endpoint_errors: dict[str, str] = {}
        self.send_errors = 0
        self.stray_replies = 0
        self._tx: dict[str, TxHandle] = {}
        self._task: asyncio.Task[None] | None = None
        self._keys = self._load_keys(entries, default_key_file)
        priorities = sorted({e.priority for e in entries})
        for p in priorities:
            mine = [e for e in entries if e.priority == p]
            name = "ntp" if len(priorities) == 1 else f"ntp-p{p}"
            self.groups.append(NtpGroup(name, p, NtpClientCore(tuning=UPSTREAM_TUNING), mine))

    @staticmethod
    def _load_keys(entries: list[NtpReferenceConfig], default: str | None) -> dict[int, SymmetricKey]:
        keys: dict[int, SymmetricKey] = {}
        for e in entries:
            if e.key is None:
                continue
            path = e.key_file if e.key_file is not None else default
            if path is not None:
                keys[e.key] = load_key_file(path)[e.key]  # the config check made sure it is there
        return keys

    # -- lifecycle ----------------------------------------------------------

    async def start(self) -> None:
        await self._note_own_addresses()
        now = self._mono()
        for group in self.groups:
            for i in range(len(group.entries)):
                group.unresolved[i] = now
        await self._resolve_due(now)
        self._task = asyncio.create_task(self._run(), name="ntp-upstream")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        for ep in self.endpoints.values():
            ep.close()
        self.endpoints.clear()

    async def _note_own_addresses(self) -> None:
        """Timing loops: a server synchronised to us names one of our addresses as its reference
        id (RFC 5905), and the selection refuses it. pyroute2 runs its own loop: a thread."""
        try:
            host = await asyncio.to_thread(read_host)
        except Exception as exc:  # no netlink: loop detection off, everything else works
            log.warning("ntp references: cannot list own addresses (no timing-loop check): %s", exc)
            return
        refids = frozenset(refid_for_source(str(a)) for a in host.addresses())
        for group in self.groups:
            group.core.local_refids = refids

    # -- resolution -----------------------------------------------------------

    async def _lookup(self, host: str, port: int) -> list[str]:
        if _is_address(host):
            return [host]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            log.warning("ntp reference %s: cannot resolve: %s", host, exc)
            return []
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def _resolve_due(self, now: int) -> None:
        for group in self.groups:
            for i, due in list(group.unresolved.items()):
                if due > now:
                    continue
                entry = group.entries[i]
                host = entry.server if entry.server is not None else entry.pool
                assert host is not None
                addresses = await self._lookup(host, entry.port)
                if self._add(group, entry, addresses, now):
                    del group.unresolved[i]
                else:
                    group.unresolved[i] = now + RESOLVE_RETRY_NS
            for pool_name in group.core.prune_pools():
                entry = next(e for e in group.entries if e.pool == pool_name)
                group.core.refill_pool(pool_name, await self._lookup(pool_name, entry.port), now)

    def _add(self, group: NtpGroup, entry: NtpReferenceConfig, addresses: list[str], now: int) -> bool:
        key = None if entry.key is None else self._keys.get(entry.key)
        if not addresses:
            return False
        try:
            if entry.server is not None:
                group.core.add_server(addresses[0], name=entry.name or entry.server, iburst=entry.iburst,
                                      minpoll=entry.minpoll, maxpoll=entry.maxpoll, key=key,
                                      port=entry.port, start_mono_ns=now)
            else:
                assert entry.pool is not None
                group.core.add_pool(entry.pool, addresses, max_sources=entry.max_sources, iburst=entry.iburst,
                                    minpoll=entry.minpoll, maxpoll=entry.maxpoll, key=key,
                                    port=entry.port, start_mono_ns=now)
        except ValueError as exc:
            log.warning("ntp reference %s: %s", entry.label, exc)
            return True  # a duplicate or bad address will not get better by retrying
        return True

    # -- I/O --------------------------------------------------------------------

    def _endpoint(self, family: Family) -> TimestampingEndpoint[UdpAddress] | None:
        ep = self.endpoints.get(family)
        if ep is not None:
            return ep
        mode: RequestedMode = "auto" if self.served.clock.kind == "phc" else "software"
        try:
            if self.interface is not None:
                ep = open_udp_endpoint(UdpConfig(self.interface, 0, family), self.served.clock,
                                       mode=mode, on_packet=self._on_packet)
            else:
                ep = self._unbound_endpoint(family)
        except (IoSetupError, OSError) as exc:
            message = str(exc)
            if self.endpoint_errors.get(family) != message:
                log.error("ntp references: cannot open a %s socket: %s", family, message)
            self.endpoint_errors[family] = message
            return None
        self.endpoints[family] = ep
        return ep

    def _unbound_endpoint(self, family: Family) -> TimestampingEndpoint[UdpAddress]:
        """No interface to bind to: any route, kernel software timestamps."""
        af = socket.AF_INET if family == "ipv4" else socket.AF_INET6
        sock = socket.socket(af, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setblocking(False)
            sock.bind(("0.0.0.0", 0) if family == "ipv4" else ("::", 0, 0, 0))
            enable_timestamping(sock, "software")
            wait_for_rx_timestamping()
            return TimestampingEndpoint(sock, UdpTransport(family, 0), self.served.clock,
                                        ModeChoice("software", "no interface: any route"),
                                        interface="(any)", on_packet=self._on_packet)
        except BaseException:
            sock.close()
            raise

    def _utc(self, clock_ns: int) -> int:
        return self.timebase.to_utc_ns(clock_ns, self.served.timescale)

    def _send(self, src: NtpSource, now: int) -> None:
        ep = self._endpoint(_family(src.address))
        if ep is None:
            src.make_request(now, self._utc(self.served.clock.now_ns()))  # counts as an unanswered poll
            self.send_errors += 1
            return
        data = src.make_request(now, self._utc(self.served.clock.now_ns()))
        handle = ep.send(data, (src.address, src.port))
        if handle.error is not None:
            self.send_errors += 1
        self._tx[src.address] = handle

    def _on_packet(self, packet: RxPacket[UdpAddress]) -> None:
        now = self._mono()
        host = str(packet.addr[0])
        for group in self.groups:
            src = group.core.source_for(host)
            if src is None:
                continue
            if packet.timestamp is None:
                return  # without T4 there is no measurement; the poll counts as unanswered
            handle = self._tx.get(src.address)
            stamp = handle.result() if handle is not None else None
            tx_utc = None if stamp is None else self._utc(stamp.ns)
            got = src.handle_response(packet.data, self._utc(packet.timestamp.ns), tx_utc, now)
            if isinstance(got, DropReason):
                return
            group.last_result = group.core.select(now)
            group.updates += 1
            try:
                self.on_update(group, src, got)
            except Exception:
                log.exception("ntp references: update handling failed")
            return
        self.stray_replies += 1

    async def _run(self) -> None:
        next_resolve = self._mono() + RESOLVE_RETRY_NS
        while True:
            now = self._mono()
            try:
                # Names not resolved yet, and pools that pruned dead sources, every RESOLVE_RETRY.
                if now >= next_resolve:
                    next_resolve = now + RESOLVE_RETRY_NS
                    await self._resolve_due(now)
                for group in self.groups:
                    for src in group.core.due(now):
                        self._send(src, now)
            except Exception:
                log.exception("ntp references: poll failed")
            deadlines = [d for g in self.groups if (d := g.core.next_deadline()) is not None]
            wake = min([now + MAX_SLEEP_NS, *deadlines])
            await asyncio.sleep(max(0, wake - self._mono()) / NS_PER_S)

    # -- status -------------------------------------------------------------------

    def rows(self, group: NtpGroup) -> list[dict[str, object]]:
        now = self._mono()
        return [s.as_dict() for s in group.core.status(now)]
