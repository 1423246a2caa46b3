# SPDX-License-Identifier: GPL-2.0-or-later
"""The slave side of a port: pair Sync with Follow_Up, run the Delay_Req exchange, report samples.

The core measures but does not steer: each Sync from the parent becomes a
``SyncSample`` (t1, t2, corrections, current path delay) and each completed
Delay_Req/Delay_Resp exchange a ``PathDelaySample``; a servo outside the
core turns them into clock adjustments. Mean path delay (11.3.2):
((t2 - t3) + (t4 - t1) - Sync/Follow_Up corrections - Delay_Resp correction) / 2,
computed in the correctionField's 2^-16 ns units and floored to ns.

Filtering (sample_filter.py): each measured delay goes through the port's
DelayFilter (windowed median or minimum behind an outlier gate) and the
filtered value is the one offsets use; each offset passes an OutlierGate
before it becomes a SyncSample. Rejected samples are counted here
(``rejected_offsets``, ``rejected_delays``) and never reach a servo.

Delay asymmetry (11.6): the Sync's correction gets + delayAsymmetry, the
Delay_Req's - delayAsymmetry; the two cancel in the mean path delay, so only
the offset moves (by - delayAsymmetry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from ptpbridge.core.ptp.actions import MULTICAST, Channel, PathDelaySample, SyncSample
from ptpbridge.core.ptp.counters import DropReason
from ptpbridge.core.ptp.fsm import PortEvent
from ptpbridge.core.ptp.sample_filter import DelayFilter, MedianWindow, OutlierGate
from ptpbridge.wire.ptp.constants import CORRECTION_FRACTION_BITS, DelayMechanism, MessageType, PortState
from ptpbridge.wire.ptp.fast import DelayRespMsg, FollowUpMsg, SyncMsg
from ptpbridge.wire.ptp.values import correction_to_ns

if TYPE_CHECKING:
    from ptpbridge.core.ptp.port import Port

A = TypeVar("A")

SLAVE_STATES = frozenset({PortState.UNCALIBRATED, PortState.SLAVE})


@dataclass(slots=True)
class _Half:
    """One half of a Sync/Follow_Up pair, waiting for the other."""

    sequence_id: int
    time_ns: int  # t2 for a Sync, t1 for a Follow_Up
    correction: int  # 2^-16 ns


@dataclass(slots=True)
class _DelayExchange:
    sequence_id: int
    t3_ns: int | None = None
    t4_ns: int | None = None
    correction: int = 0
    answered: bool = False


class SlaveRole(Generic[A]):
    def __init__(self, port: Port[A]) -> None:
        self.port = port
        self.mean_path_delay_ns: int | None = None
        self._sync: _Half | None = None
        self._follow_up: _Half | None = None
        # Latest complete Sync: t1, t2, total correction (2^-16 ns).
        self._last: tuple[int, int, int] | None = None
        self._exchange: _DelayExchange | None = None
        config = port.config
        self.delay_filter = DelayFilter(config.delay_filter, config.delay_filter_length, config.outlier_gate)
        self.offset_gate = OutlierGate(config.outlier_gate)
        # delayAsymmetry in correctionField units, added to every Sync's correction.
        self._asymmetry = config.delay_asymmetry_ns << CORRECTION_FRACTION_BITS
        # Apparent one-way delays, offset included (for status: where an asymmetry lies):
        # t2 - t1 - corrections = master-to-slave + offset; t4 - t3 - corrections =
        # slave-to-master - offset. With a known true offset they give each direction.
        self.apparent_ms = MedianWindow()
        self.apparent_sm = MedianWindow()

    @property
    def rejected_offsets(self) -> int:
        """Offsets the outlier gate kept from the servo, since start."""
        return self.offset_gate.rejected

    @property
    def rejected_delays(self) -> int:
        """E2E path delay measurements the outlier gate dropped, since start."""
        return self.delay_filter.rejected

    def reset(self) -> None:
        """Forget everything measured against the previous parent."""
        self.mean_path_delay_ns = None
        self._sync = self._follow_up = None
        self._last = None
        self._exchange = None
        self.delay_filter.reset()
        self.offset_gate.reset()
        self.apparent_ms.clear()
        self.apparent_sm.clear()

    def restart_offsets(self) -> None:
        """The clock stepped: offsets start from a new level, so the gate's window is stale."""
        self.offset_gate.reset()

    def _from_parent(self, msg: SyncMsg | FollowUpMsg | DelayRespMsg) -> bool:
        port = self.port
        if port.state not in SLAVE_STATES:
            return False
        return msg.source_port_identity == port.clock.parent_ds.parent_port_identity

    def on_sync(self, msg: SyncMsg, rx_ns: int | None, now_ns: int) -> DropReason | None:
        port = self.port
        if not self._from_parent(msg):
            port.counters.ignored += 1
            return None
        if rx_ns is None:
            return DropReason.NO_RX_TIMESTAMP
        h = msg
        if not h.two_step:
            self._complete(h.sequence_id, msg.origin_timestamp.to_ns(), rx_ns, h.correction, now_ns)
            return None
        fup = self._follow_up
        if fup is not None and fup.sequence_id == h.sequence_id:
            self._follow_up = None
            self._complete(h.sequence_id, fup.time_ns, rx_ns, h.correction + fup.correction, now_ns)
        else:
            self._sync = _Half(h.sequence_id, rx_ns, h.correction)
        return None

    def on_follow_up(self, msg: FollowUpMsg, now_ns: int) -> None:
        port = self.port
        if not self._from_parent(msg):
            port.counters.ignored += 1
            return
        h = msg
        t1 = msg.precise_origin_timestamp.to_ns()
        sync = self._sync
        if sync is not None and sync.sequence_id == h.sequence_id:
            self._sync = None
            self._complete(h.sequence_id, t1, sync.time_ns, sync.correction + h.correction, now_ns)
        else:
            self._follow_up = _Half(h.sequence_id, t1, h.correction)

    def _complete(self, seq: int, t1: int, t2: int, correction: int, now_ns: int) -> None:
        port = self.port
        clock = port.clock
        self._last = (t1, t2, correction)
        self.apparent_ms.add(correction_to_ns(((t2 - t1) << CORRECTION_FRACTION_BITS) - correction))
        delay = self.current_delay()
        sample = SyncSample(port.number, seq, t1, t2, correction_to_ns(correction + self._asymmetry), delay)
        offset = sample.offset_ns
        if offset is None or self.offset_gate.admit(offset):
            if offset is not None:
                clock.current_ds.offset_from_master_ns = offset
            clock.emit(sample)
        if port.state is PortState.UNCALIBRATED and clock.config.calibrate_on_first_sync:
            port.apply(PortEvent.MASTER_CLOCK_SELECTED, now_ns, "first Sync measurement")
        self._try_delay()

    @property
    def last_ingress_ns(self) -> int | None:
        """t2 of the latest complete Sync measurement (TIME_STATUS_NP ingress_time)."""
        return None if self._last is None else self._last[1]

    def current_delay(self) -> int | None:
        if self.port.config.delay_mechanism is DelayMechanism.P2P:
            return self.port.peer.mean_link_delay_ns
        return self.mean_path_delay_ns

    # -- Delay_Req / Delay_Resp (E2E) -----------------------------------------------

    def send_delay_req(self, now_ns: int, clock_time_ns: int) -> None:
        port = self.port
        seq = port.next_sequence(MessageType.DELAY_REQ)
        exchange = _DelayExchange(seq)
        self._exchange = exchange

        def on_tx(tx_ns: int) -> None:
            exchange.t3_ns = tx_ns
            self._try_delay()

        data = port.messages.delay_req(seq, max(0, clock_time_ns))
        port.send(Channel.EVENT, MULTICAST, data, MessageType.DELAY_REQ, now_ns, on_tx=on_tx)

    def on_delay_resp(self, msg: DelayRespMsg) -> None:
        port = self.port
        exchange = self._exchange
        if (
            not self._from_parent(msg)
            or msg.requesting_port_identity != port.identity
            or exchange is None
            or exchange.sequence_id != msg.sequence_id
            or exchange.t4_ns is not None
        ):
            port.counters.ignored += 1
            return
        exchange.t4_ns = msg.receive_timestamp.to_ns()
        exchange.correction = msg.correction
        self._try_delay()

    def _try_delay(self) -> None:
        exchange = self._exchange
        last = self._last
        if exchange is None or last is None or exchange.answered:
            return
        if exchange.t3_ns is None or exchange.t4_ns is None:
            return
        exchange.answered = True
        t1, t2, sync_correction = last
        self.apparent_sm.add(correction_to_ns(((exchange.t4_ns - exchange.t3_ns) << CORRECTION_FRACTION_BITS)
                                              - exchange.correction))
        scaled = ((t2 - exchange.t3_ns) + (exchange.t4_ns - t1)) << CORRECTION_FRACTION_BITS
        scaled -= sync_correction + exchange.correction
        filtered = self.delay_filter.add(correction_to_ns(scaled // 2))
        if filtered is None:
            return
        delay = filtered
        self.mean_path_delay_ns = delay
        port = self.port
        port.clock.current_ds.mean_delay_ns = delay
        port.clock.emit(PathDelaySample(port.number, DelayMechanism.E2E, delay))
