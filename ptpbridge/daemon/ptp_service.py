# SPDX-License-Identifier: GPL-2.0-or-later
"""The PTP component: one PtpClock core, one port per interface, driven by the asyncio loop.

Three inputs feed the sans-IO core, each followed by executing every action
it queued:

* a datagram (endpoint callback): its kernel RX timestamp in TAI;
* a TX timestamp (TxHandle callback), or None when the I/O layer gave up;
* the timer, armed with ``loop.call_at`` at the core's next deadline
  (CLOCK_MONOTONIC, the loop's own clock), given the served clock's TAI.

Per packet that is one core call and at most a few sends: no task, no
queue, no await. Nothing here raises into the loop: socket errors are the
I/O layer's counters, a failing clock read is logged and the timers still
run, so a port never dies of its input.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Any

from ptpbridge.config.ptp import PtpConfig
from ptpbridge.core.ptp import (
    Multicast,
    ParentChanged,
    PathDelaySample,
    PtpClock,
    SendMessage,
    StateChanged,
    SyncSample,
    TimePropertiesChanged,
)
from ptpbridge.core.refsel import TimeQuality
from ptpbridge.daemon.control import Handler
from ptpbridge.daemon.discipline import discipline_of
from ptpbridge.daemon.ptp_netif import HostFacts, InterfaceError, read_host
from ptpbridge.daemon.ptp_settings import (
    ManagementAllowList,
    PeerAddress,
    clock_config,
    clock_identity,
    port_config,
)
from ptpbridge.daemon.ptp_slave import SlaveGlue
from ptpbridge.daemon.quality import apply_ptp_quality
from ptpbridge.daemon.ptp_status import service_status
from ptpbridge.daemon.ptp_transport import (
    L2PortTransport,
    PortTransport,
    UdpPortTransport,
    choose_source,
    enable_hardware,
)
from ptpbridge.daemon.ptp_unicast import UnicastDelayResponder
from ptpbridge.io import IoSetupError, RxPacket, TxHandle, UdpAddress
from ptpbridge.io.timestamps import TimestampSource
from ptpbridge.timebase import NS_PER_S
from ptpbridge.wire.ptp.constants import Flag, MessageType

if TYPE_CHECKING:
    from ptpbridge.daemon.app import Component, Daemon

log = logging.getLogger("ptpbridge.ptp")

MS_PER_S = 1000
_DELAY_RESP = MessageType.DELAY_RESP
# unicastFlag within octet 6 (the high octet of flagField).
_UNICAST_OCTET_BIT = int(Flag.UNICAST) >> 8
_FLAG_OCTET = 6


class PtpSetupError(Exception):
    """The PTP service cannot start; the message names the interface or key."""


def multicast_delay_resp(data: bytes) -> bytes:
    """The same Delay_Resp with unicastFlag cleared, for the multicast group (hybrid off)."""
    out = bytearray(data)
    out[_FLAG_OCTET] &= ~_UNICAST_OCTET_BIT & 0xFF
    return bytes(out)


class PtpService:
    """`Component` running the grandmaster's ports."""

    name = "ptp"

    def __init__(self, daemon: Daemon, config: PtpConfig) -> None:
        self.daemon = daemon
        self.config = config
        self.clock: PtpClock[PeerAddress] | None = None
        self.slave: SlaveGlue | None = None
        self.transports: dict[int, PortTransport] = {}
        self.responders: dict[int, UnicastDelayResponder] = {}
        self.interfaces: dict[int, str] = {}
        self.allow: ManagementAllowList | None = None
        self.timer_errors = 0
        self.last_sync_offset_ns: dict[int, int | None] = {}
        self.last_path_delay_ns: dict[int, int | None] = {}
        self._hybrid = config.unicast_delay_resp
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_deadline = 0
        self._flushing = False
        self._last_tai = (0, 0)  # (monotonic ns, TAI ns) of the last good clock read

    # -- Component --------------------------------------------------------

    async def start(self) -> None:
        try:
            # pyroute2's synchronous API runs its own event loop: not in this thread.
            host = await asyncio.to_thread(read_host)
            self._start(host)
        except (InterfaceError, IoSetupError, ValueError) as exc:
            self._close_transports()
            raise PtpSetupError(f"ptp: {exc}") from exc
        except BaseException:
            self._close_transports()
            raise

    def _start(self, host: HostFacts) -> None:
        daemon, cfg = self.daemon, self.config
        served = daemon.served
        assert served is not None
        interfaces = cfg.interfaces if cfg.interfaces is not None else daemon.config.interfaces
        if not interfaces:
            raise PtpSetupError("ptp: no interface to serve on (give --interface or ptp.interfaces)")
        facts = [host.interface(name) for name in interfaces]
        sources: list[TimestampSource] = [choose_source(cfg.timestamping, f.name, served.clock.name)
                                          for f in facts]
        self.allow = ManagementAllowList.build(cfg.management_set_allow, host)
        identity = clock_identity(cfg, facts[0])
        discipline = discipline_of(daemon)
        steering = discipline is not None and discipline.config.source == "ptp"
        clock: PtpClock[PeerAddress] = PtpClock(
            # A steering slave waits in UNCALIBRATED until the servo locks (ptp4l does too).
            replace(clock_config(cfg, identity, daemon.timebase), calibrate_on_first_sync=not steering),
            [port_config(cfg, f, s) for f, s in zip(facts, sources, strict=True)],
            allow_management_set=self.allow.allows,
        )
        self.clock = clock
        self.slave = SlaveGlue(clock, discipline, daemon.timebase)
        self._loop = asyncio.get_running_loop()
        tx_timeout_s = cfg.tx_timestamp_timeout_ms / MS_PER_S
        p2p = cfg.delay_mechanism == "p2p"
        for number, (f, source) in enumerate(zip(facts, sources, strict=True), start=1):
            if source == "hardware":
                enable_hardware(f.name, cfg.transport)
            self.interfaces[number] = f.name
            self.last_sync_offset_ns[number] = None
            self.last_path_delay_ns[number] = None
            transport: PortTransport
            if cfg.transport == "l2":
                transport = L2PortTransport(f.name, p2p, served.clock, source, tx_timeout_s,
                                            self._receiver(number))
            else:
                transport = UdpPortTransport(f.name, cfg.transport, p2p, served.clock, source,
                                             tx_timeout_s, self._receiver(number), reuse_addr=self._hybrid)
            self.transports[number] = transport
            addresses: list[IPv4Address] | list[IPv6Address] = (
                list(f.ipv6) if cfg.transport == "udpv6" else list(f.ipv4))
            if self._hybrid and cfg.transport != "l2" and addresses:
                self.responders[number] = UnicastDelayResponder(
                    clock.port(number), f.name, addresses, source, served, daemon.timebase,
                    self._unicast_receiver(number))
        clock.start(time.monotonic_ns())
        if daemon.quality is not None:  # [[reference]]: announce the references' quality
            daemon.quality.subscribe(self._on_quality)
        self._flush()
        log.info("ptp: clock %s, domain %d, %s %s%s, ports %s", identity, cfg.domain, cfg.transport,
                 cfg.delay_mechanism, " hybrid" if self._hybrid and cfg.delay_mechanism == "e2e" else "",
                 ", ".join(f"{n}:{i} ({self.transports[n].source})" for n, i in self.interfaces.items()))

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._close_transports()

    def status(self) -> dict[str, Any]:
        status = service_status(self)
        if self.slave is not None:
            status["slave"] = self.slave.status()
        return status

    def control_handlers(self) -> dict[str, Handler]:
        return {}

    def _on_quality(self, quality: TimeQuality) -> None:
        if self.clock is not None:
            apply_ptp_quality(self.clock, quality, time.monotonic_ns())
            self._flush()

    def _close_transports(self) -> None:
        for responder in self.responders.values():
            responder.close()
        self.responders.clear()
        for transport in self.transports.values():
            transport.close()
        self.transports.clear()

    # -- inputs -------------------------------------------------------------

    def _receiver(self, port: int) -> Callable[[RxPacket[Any]], None]:
        """The endpoint callback of one port: into the core, then execute what it asked."""
        assert self.clock is not None
        receive = self.clock.receive
        to_tai = self.daemon.timebase.to_tai_ns
        served = self.daemon.served
        assert served is not None
        scale = served.timescale
        monotonic_ns = time.monotonic_ns
        flush = self._flush

        def on_packet(packet: RxPacket[Any]) -> None:
            stamp = packet.timestamp
            rx = None if stamp is None else to_tai(stamp.ns, scale)
            receive(port, packet.data, packet.addr, rx, monotonic_ns())
            flush()

        return on_packet

    def _unicast_receiver(self, port: int) -> Callable[[bytes, UdpAddress, int | None], None]:
        """What the unicast fast path leaves to the core (already in TAI): addressed to us alone."""
        assert self.clock is not None
        receive = self.clock.receive

        def on_other(data: bytes, addr: UdpAddress, rx_tai: int | None) -> None:
            receive(port, data, addr, rx_tai, time.monotonic_ns(), unicast=True)
            self._flush()

        return on_other

    def _on_tx(self, port: int, core_handle: int, handle: TxHandle) -> None:
        assert self.clock is not None and self.daemon.served is not None
        stamp = handle.result()
        tai = None if stamp is None else self.daemon.timebase.to_tai_ns(stamp.ns, self.daemon.served.timescale)
        self.clock.tx_timestamp(port, core_handle, tai, time.monotonic_ns())
        self._flush()

    def _on_timer(self) -> None:
        assert self.clock is not None
        self._timer = None
        # The loop may wake a hair before the deadline it was armed for.
        now = max(time.monotonic_ns(), self._timer_deadline)
        try:
            tai = self._tai_now(now)
            self._follow_timebase(tai)
            self.clock.handle_timer(now, tai)
        except Exception:
            self.timer_errors += 1
            log.exception("ptp: timer handling failed")
        self._flush()

    def _follow_timebase(self, tai: int) -> None:
        """UTC offset and leap flags as the Timebase has them now, before any Announce goes out."""
        assert self.clock is not None
        local = self.clock.local_time_properties
        wanted = local.at_instant(self.daemon.timebase, tai)
        if wanted is not local:
            self.clock.set_local_time_properties(wanted)

    def _tai_now(self, now: int) -> int:
        """The served clock in TAI; if it cannot be read, the last reading carried forward."""
        served = self.daemon.served
        assert served is not None
        try:
            tai = self.daemon.timebase.to_tai_ns(served.clock.now_ns(), served.timescale)
        except Exception as exc:
            self.timer_errors += 1
            log.error("ptp: reading %s failed: %s", served.clock.name, exc)
            mono, last = self._last_tai
            return last + (now - mono)
        self._last_tai = (now, tai)
        return tai

    # -- actions ------------------------------------------------------------

    def _flush(self) -> None:
        """Execute every queued action (a TX report may queue more), then re-arm the timer."""
        clock = self.clock
        if clock is None or self._flushing:
            return
        self._flushing = True
        try:
            while actions := clock.poll_actions():
                for action in actions:
                    if type(action) is SendMessage:
                        self._send(action)
                    else:
                        self._note(action)
        finally:
            self._flushing = False
        self._arm()

    def _send(self, action: SendMessage[PeerAddress]) -> None:
        transport = self.transports.get(action.port)
        if transport is None:
            return
        destination, data = action.destination, action.data
        if action.message_type is _DELAY_RESP and not self._hybrid and not isinstance(destination, Multicast):
            destination, data = Multicast.PRIMARY, multicast_delay_resp(data)
        core_handle = action.tx_timestamp_handle
        handle = transport.send(action.channel, destination, data, core_handle is not None)
        if core_handle is not None:
            handle.add_done_callback(partial(self._on_tx, action.port, core_handle))

    def _note(self, action: object) -> None:
        if isinstance(action, StateChanged):
            log.info("ptp: port %d (%s): %s -> %s (%s)", action.port, self.interfaces.get(action.port, "?"),
                     action.old.name, action.new.name, action.reason)
        elif isinstance(action, ParentChanged):
            log.info("ptp: %s, parent %s, steps removed %d",
                     "we are grandmaster" if action.is_grandmaster
                     else f"grandmaster {action.grandmaster_identity}",
                     action.parent_port_identity, action.steps_removed)
        elif isinstance(action, TimePropertiesChanged):
            log.debug("ptp: time properties %s", action.time_properties)
        elif isinstance(action, SyncSample):
            self.last_sync_offset_ns[action.port] = action.offset_ns
        elif isinstance(action, PathDelaySample):
            self.last_path_delay_ns[action.port] = action.mean_path_delay_ns
        if self.slave is not None:
            self.slave.note(action)

    def _arm(self) -> None:
        """Make sure the loop wakes at the core's next deadline (an earlier wake is harmless)."""
        assert self.clock is not None and self._loop is not None
        deadline = self.clock.next_deadline()
        if deadline is None:
            return
        if self._timer is not None:
            if self._timer_deadline <= deadline:
                return
            self._timer.cancel()
        self._timer_deadline = deadline
        self._timer = self._loop.call_at(deadline / NS_PER_S, self._on_timer)


def ptp_components(daemon: Daemon) -> list[Component]:
    """The component factory for `ptpbridge run`: the grandmaster when `[ptp]` is configured."""
    config = daemon.config.ptp
    if config is None or not config.enabled:
        return []
    return [PtpService(daemon, config)]
