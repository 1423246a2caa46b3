# SPDX-License-Identifier: GPL-2.0-or-later
"""A PTP ordinary or boundary clock as a sans-IO object: bytes and times in, actions out.

Usage by the I/O layer (see also ``ptpbridge.sim.node`` for a complete loop)::

    clock = PtpClock(ClockConfig(clock_identity=...), [PortConfig(...)])
    clock.start(now_ns)
    loop:
        for action in clock.poll_actions(): execute it (SendMessage: send the
            bytes; with a tx_timestamp_handle, later call
            clock.tx_timestamp(port, handle, tx_tai_ns or None, now_ns))
        sleep until clock.next_deadline() or a packet arrives
        packet:  clock.receive(port, data, source, rx_tai_ns, now_ns)
        timeout: clock.handle_timer(now_ns, clock_time_ns)

Two notions of time are injected, never read:

* ``now_ns``: a monotonic clock for timers (CLOCK_MONOTONIC in the daemon,
  true time in the simulator). Deadlines are in this time base.
* TAI ns of the PTP clock (the PHC): packet timestamps (``rx_timestamp_ns``,
  TX timestamps) and ``clock_time_ns`` passed to ``handle_timer``, which is
  only used as the "about now" originTimestamp of Announce, Sync, Delay_Req
  and Pdelay_Req (two-step: the precise times travel in Follow_Ups).

Every input method may queue actions; nothing else happens between calls.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ptpbridge.core.ptp.actions import Action, ParentChanged, TimePropertiesChanged
from ptpbridge.core.ptp.bmca import ComparisonDataset, Decision, best_of, state_decision
from ptpbridge.core.ptp.config import ClockConfig, PortConfig
from ptpbridge.core.ptp.datasets import CurrentDS, DefaultDS, ParentDS, TimePropertiesDS
from ptpbridge.core.ptp.foreign import ForeignMaster
from ptpbridge.core.ptp.fsm import PortEvent
from ptpbridge.core.ptp.intervals import log_interval_ns
from ptpbridge.core.ptp.management import ManagementResponder
from ptpbridge.core.ptp.port import Port
from ptpbridge.core.ptp.status import ClockStatus, clock_status
from ptpbridge.wire.ptp.errors import PtpEncodeError
from ptpbridge.wire.ptp.values import ClockQuality, PortIdentity

A = TypeVar("A")

_EVENT_FOR: dict[Decision, PortEvent] = {
    Decision.M1: PortEvent.RS_GRAND_MASTER,
    Decision.M2: PortEvent.RS_GRAND_MASTER,
    Decision.M3: PortEvent.RS_MASTER,
    Decision.P1: PortEvent.RS_PASSIVE,
    Decision.P2: PortEvent.RS_PASSIVE,
    Decision.S1: PortEvent.RS_SLAVE,
    Decision.SLAVE_ONLY_LISTEN: PortEvent.RS_LISTENING,
}


@dataclass(slots=True)
class _PendingTx:
    port: int
    on_tx: Callable[[int], None]
    deadline: int


class PtpClock(Generic[A]):
    """The clock: data sets, ports, BMCA over all ports, TX timestamp bookkeeping.

    ``A`` is the I/O layer's address type; the core only echoes addresses
    back. ``allow_management_set`` decides, per source address, whether a
    management SET may change this clock (the daemon derives it from config;
    the default refuses all).
    """

    def __init__(
        self,
        config: ClockConfig,
        ports: Sequence[PortConfig],
        *,
        allow_management_set: Callable[[A], bool] | None = None,
    ) -> None:
        if not 1 <= len(ports) <= 0xFFFE:
            raise ValueError("a clock has 1..65534 ports")
        self.config = config
        self.default_ds = DefaultDS(
            clock_identity=config.clock_identity,
            number_ports=len(ports),
            clock_quality=config.clock_quality,
            priority1=config.priority1,
            priority2=config.priority2,
            domain_number=config.domain_number,
            slave_only=config.slave_only,
            major_sdo_id=config.major_sdo_id,
            minor_sdo_id=config.minor_sdo_id,
        )
        self.current_ds = CurrentDS()
        self.parent_ds = self._own_parent_ds()
        # What the last ParentChanged said (we start as our own grandmaster).
        self._last_parent_report = (self.parent_ds, 0)
        self.local_time_properties = config.time_properties
        self.time_properties_ds = config.time_properties
        self.rng = random.Random(config.seed)
        self.allow_management_set: Callable[[A], bool] = allow_management_set or (lambda _source: False)
        self.management: ManagementResponder[A] = ManagementResponder(self)
        self._ports: dict[int, Port[A]] = {n: Port(self, n, pc) for n, pc in enumerate(ports, start=1)}
        self._actions: list[Action[A]] = []
        self._pending: dict[int, _PendingTx] = {}
        self._pending_heap: list[tuple[int, int]] = []
        self._next_handle = 1
        self._bmc_interval = min(log_interval_ns(pc.log_announce_interval) for pc in ports)
        self._bmc_deadline: int | None = None

    # -- accessors ---------------------------------------------------------------

    @property
    def ports(self) -> dict[int, Port[A]]:
        return self._ports

    def port(self, number: int) -> Port[A]:
        try:
            return self._ports[number]
        except KeyError:
            raise ValueError(f"no port {number} (ports are 1..{len(self._ports)})") from None

    @property
    def is_grandmaster(self) -> bool:
        return self.parent_ds.grandmaster_identity == self.default_ds.clock_identity

    def status(self) -> ClockStatus:
        return clock_status(self)

    # -- inputs ------------------------------------------------------------------

    def start(self, now_ns: int) -> None:
        """Bring every port from INITIALIZING to LISTENING."""
        for port in self._ports.values():
            port.apply(PortEvent.INIT_COMPLETE, now_ns, "initialization complete")
        self._bmc_deadline = now_ns + self._bmc_interval

    def receive(
        self,
        port: int,
        data: bytes,
        source: A,
        rx_timestamp_ns: int | None,
        now_ns: int,
        *,
        unicast: bool = False,
    ) -> None:
        """One received datagram. ``unicast``: it was addressed to us alone (replies go back unicast
        also when the sender did not set unicastFlag). Never raises for packet content."""
        self.port(port).receive(bytes(data), source, rx_timestamp_ns, now_ns, unicast)

    def tx_timestamp(self, port: int, handle: int, timestamp_ns: int | None, now_ns: int) -> None:
        """The TX timestamp of a SendMessage that asked for one (None: it never came)."""
        p = self.port(port)
        pending = self._pending.pop(handle, None)
        if pending is None or pending.port != port:
            p.counters.tx_timestamp_unmatched += 1
            return
        if timestamp_ns is None:
            p.counters.tx_timestamp_timeouts += 1
            return
        try:
            pending.on_tx(timestamp_ns)
        except (PtpEncodeError, ValueError):
            p.counters.tx_timestamp_unmatched += 1  # a timestamp no message can carry

    def handle_timer(self, now_ns: int, clock_time_ns: int) -> None:
        """Run every timer due at ``now_ns``, earliest first."""
        while True:
            due = self._earliest_due(now_ns)
            if due is None:
                return
            deadline, kind, port = due
            if kind == "tx":
                self._expire_tx(now_ns)
            elif kind == "bmc":
                self._bmc_deadline = max(deadline + self._bmc_interval, now_ns + 1)
                self.state_decision(now_ns, "periodic state decision")
            else:
                assert port is not None
                timer = port.due(now_ns)
                assert timer is not None
                port.fire(timer[1], timer[0], now_ns, clock_time_ns)

    def next_deadline(self) -> int | None:
        """The earliest monotonic ns at which ``handle_timer`` has work (None: nothing armed)."""
        candidates = [d for p in self._ports.values() if (d := p.next_deadline()) is not None]
        if self._pending_heap:
            candidates.append(self._pending_heap[0][0])
        if self._bmc_deadline is not None:
            candidates.append(self._bmc_deadline)
        return min(candidates, default=None)

    def poll_actions(self) -> list[Action[A]]:
        actions, self._actions = self._actions, []
        return actions

    # -- control (servo, daemon, management) -------------------------------------

    def master_clock_selected(self, port: int, now_ns: int) -> None:
        """The servo has locked to the parent: UNCALIBRATED -> SLAVE."""
        self.port(port).apply(PortEvent.MASTER_CLOCK_SELECTED, now_ns, "master clock selected")

    def synchronization_fault(self, port: int, now_ns: int) -> None:
        """The servo lost lock: SLAVE -> UNCALIBRATED."""
        self.port(port).apply(PortEvent.SYNCHRONIZATION_FAULT, now_ns, "synchronization fault")

    def fault(self, port: int, now_ns: int, reason: str = "fault detected") -> None:
        """The I/O layer hit a fault on this port (socket error...): FAULTY, retried later."""
        self.port(port).apply(PortEvent.FAULT_DETECTED, now_ns, reason)
        self.state_decision(now_ns, reason)

    def disable_port(self, port: int, now_ns: int) -> None:
        self.port(port).apply(PortEvent.DESIGNATED_DISABLED, now_ns, "port disabled")
        self.state_decision(now_ns, "port disabled")

    def enable_port(self, port: int, now_ns: int) -> None:
        self.port(port).apply(PortEvent.DESIGNATED_ENABLED, now_ns, "port enabled")

    def set_priorities(self, now_ns: int, *, priority1: int | None = None, priority2: int | None = None) -> None:
        """Change priority1/priority2 and re-run the BMCA."""
        for value in (priority1, priority2):
            if value is not None and not 0 <= value <= 255:
                raise ValueError(f"priority {value} outside 0..255")
        if priority1 is not None:
            self.default_ds.priority1 = priority1
        if priority2 is not None:
            self.default_ds.priority2 = priority2
        self._refresh_grandmaster()
        self.state_decision(now_ns, "priority changed")

    def set_clock_quality(self, quality: ClockQuality, now_ns: int) -> None:
        """The local reference changed (lock, holdover, free-run): re-run the BMCA."""
        self.default_ds.clock_quality = quality
        self._refresh_grandmaster()
        self.state_decision(now_ns, "clock quality changed")

    def set_local_time_properties(self, time_properties: TimePropertiesDS) -> None:
        """What we announce as grandmaster (UTC offset, leap flags, source, traceability)."""
        self.local_time_properties = time_properties
        if self.is_grandmaster:
            self._set_time_properties(time_properties)

    # -- internals used by ports -------------------------------------------------

    def emit(self, action: Action[A]) -> None:
        self._actions.append(action)

    def expect_tx_timestamp(self, port: int, on_tx: Callable[[int], None], now_ns: int) -> int:
        """A handle for a send whose TX timestamp ``on_tx`` wants; given up after the timeout."""
        handle = self._next_handle
        self._next_handle += 1
        deadline = now_ns + self.config.tx_timestamp_timeout_ns
        self._pending[handle] = _PendingTx(port, on_tx, deadline)
        heapq.heappush(self._pending_heap, (deadline, handle))
        return handle

    def _expire_tx(self, now_ns: int) -> None:
        heap = self._pending_heap
        while heap and heap[0][0] <= now_ns:
            _, handle = heapq.heappop(heap)
            pending = self._pending.pop(handle, None)
            if pending is not None:
                self._ports[pending.port].counters.tx_timestamp_timeouts += 1

    def _earliest_due(self, now_ns: int) -> tuple[int, str, Port[A] | None] | None:
        best: tuple[int, str, Port[A] | None] | None = None
        if self._pending_heap and self._pending_heap[0][0] <= now_ns:
            best = (self._pending_heap[0][0], "tx", None)
        if self._bmc_deadline is not None and self._bmc_deadline <= now_ns:
            if best is None or self._bmc_deadline < best[0]:
                best = (self._bmc_deadline, "bmc", None)
        for port in self._ports.values():
            due = port.due(now_ns)
            if due is not None and (best is None or due[0] < best[0]):
                best = (due[0], "port", port)
        return best

    # -- BMCA --------------------------------------------------------------------

    def own_dataset(self) -> ComparisonDataset:
        """D0: this clock as a grandmaster candidate (9.3.4)."""
        dds = self.default_ds
        me = PortIdentity(dds.clock_identity, 0)
        return ComparisonDataset(
            dds.priority1, dds.clock_identity, dds.clock_quality, dds.priority2, 0, me, me
        )

    def state_decision(self, now_ns: int, reason: str) -> None:
        """Run the state decision on every operational port and apply it (9.3.3, 9.3.5)."""
        ports = [p for p in self._ports.values() if p.operational]
        for port in ports:
            port.update_erbest(now_ns)
        contenders = [p for p in ports if p.erbest is not None]
        ebest_port = best_of(contenders, lambda p: p.erbest.dataset)  # type: ignore[union-attr]
        ebest = ebest_port.erbest if ebest_port is not None else None
        d0 = self.own_dataset()
        slave_only = self.default_ds.slave_only
        decisions: list[tuple[Port[A], Decision]] = []
        for port in ports:
            decision = state_decision(
                d0,
                ebest.dataset if ebest is not None else None,
                port.erbest.dataset if port.erbest is not None else None,
                port.state,
                ebest_here=port is ebest_port,
                slave_only=slave_only,
                master_only=self.config.master_only,
            )
            if decision is not None:
                decisions.append((port, decision))
        new_parent = False
        if any(d is Decision.S1 for _, d in decisions):
            assert ebest is not None
            new_parent = self._update_as_slave(ebest)
        elif any(d.grandmaster for _, d in decisions) or (slave_only and ebest is None):
            self._update_as_grandmaster()
        for port, decision in decisions:
            event = _EVENT_FOR[decision]
            if decision is Decision.S1 and new_parent:
                event = PortEvent.RS_SLAVE_NEW_PARENT
            port.apply(event, now_ns, f"{decision.code}: {reason}")

    def _own_parent_ds(self) -> ParentDS:
        dds = self.default_ds
        return ParentDS(
            parent_port_identity=PortIdentity(dds.clock_identity, 0),
            grandmaster_identity=dds.clock_identity,
            grandmaster_clock_quality=dds.clock_quality,
            grandmaster_priority1=dds.priority1,
            grandmaster_priority2=dds.priority2,
        )

    def _update_as_grandmaster(self) -> None:
        """M1/M2 (Table 32): we are the grandmaster."""
        self.current_ds.steps_removed = 0
        self.current_ds.offset_from_master_ns = 0
        self.current_ds.mean_delay_ns = 0
        self._set_parent(self._own_parent_ds())
        self._set_time_properties(self.local_time_properties)

    def _refresh_grandmaster(self) -> None:
        """Our own quality or priorities changed: keep parentDS in step while we are grandmaster."""
        if self.is_grandmaster:
            self._set_parent(self._own_parent_ds())

    def _update_as_slave(self, ebest: ForeignMaster) -> bool:
        """S1 (Table 33): the parent is Ebest's sender; True if the parent port changed."""
        msg = ebest.announce
        old_parent = self.parent_ds.parent_port_identity
        self.current_ds.steps_removed = msg.steps_removed + 1
        self._set_parent(
            ParentDS(
                parent_port_identity=ebest.sender,
                grandmaster_identity=msg.grandmaster_identity,
                grandmaster_clock_quality=msg.grandmaster_clock_quality,
                grandmaster_priority1=msg.grandmaster_priority1,
                grandmaster_priority2=msg.grandmaster_priority2,
            )
        )
        self._set_time_properties(
            TimePropertiesDS.from_flags(msg.flags, msg.current_utc_offset, msg.time_source)
        )
        return ebest.sender != old_parent

    def _set_parent(self, parent: ParentDS) -> None:
        self.parent_ds = parent
        report = (parent, self.current_ds.steps_removed)
        if report == self._last_parent_report:
            return
        self._last_parent_report = report
        self.emit(
            ParentChanged(
                parent_port_identity=parent.parent_port_identity,
                grandmaster_identity=parent.grandmaster_identity,
                grandmaster_clock_quality=parent.grandmaster_clock_quality,
                grandmaster_priority1=parent.grandmaster_priority1,
                grandmaster_priority2=parent.grandmaster_priority2,
                steps_removed=self.current_ds.steps_removed,
                is_grandmaster=self.is_grandmaster,
            )
        )

    def _set_time_properties(self, tp: TimePropertiesDS) -> None:
        if tp == self.time_properties_ds:
            return
        self.time_properties_ds = tp
        self.emit(TimePropertiesChanged(tp))
