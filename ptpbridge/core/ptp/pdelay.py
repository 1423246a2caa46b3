# SPDX-License-Identifier: GPL-2.0-or-later
"""Peer delay (IEEE 1588-2019 11.4): answer Pdelay_Req, and measure the link when asked to.

Responder, two-step (11.4.2 c): Pdelay_Resp carries requestReceiptTimestamp
(t2, our RX timestamp of the request) and correctionField 0; the
Pdelay_Resp_Follow_Up carries responseOriginTimestamp (t3, the Pdelay_Resp's
TX timestamp) and the request's correctionField. Requester: meanLinkDelay =
((t4 - t1) - (t3 - t2) - corrections) / 2, in 2^-16 ns, floored to ns.
Both run in every state but INITIALIZING, FAULTY and DISABLED, and only on
ports whose delayMechanism is P2P (an E2E port counts and drops them).
The requester's measurements go through the port's DelayFilter (windowed
median or minimum behind an outlier gate, sample_filter.py); the filtered
value is meanLinkDelay. Delay asymmetry cancels in the link delay (11.6.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from ptpbridge.core.ptp.actions import PDELAY_MULTICAST, Channel, Multicast, PathDelaySample
from ptpbridge.core.ptp.counters import DropReason
from ptpbridge.core.ptp.sample_filter import DelayFilter, MedianWindow
from ptpbridge.wire.ptp.constants import CORRECTION_FRACTION_BITS, DelayMechanism, MessageType
from ptpbridge.wire.ptp.fast import PdelayReqMsg, PdelayRespFollowUpMsg, PdelayRespMsg
from ptpbridge.wire.ptp.values import PortIdentity, correction_to_ns

if TYPE_CHECKING:
    from ptpbridge.core.ptp.port import Port

A = TypeVar("A")


@dataclass(slots=True)
class _Exchange:
    sequence_id: int
    t1_ns: int | None = None
    t2_ns: int | None = None
    t3_ns: int | None = None
    t4_ns: int | None = None
    responder: PortIdentity | None = None
    correction: int = 0
    done: bool = False


class PeerDelay(Generic[A]):
    def __init__(self, port: Port[A]) -> None:
        self.port = port
        self.mean_link_delay_ns: int | None = None
        self._exchange: _Exchange | None = None
        config = port.config
        self.delay_filter = DelayFilter(config.delay_filter, config.delay_filter_length, config.outlier_gate)
        # Apparent one-way delays of the requester's exchanges (status): t2 - t1 = us-to-peer
        # minus our offset to the peer, t4 - t3 = peer-to-us plus it.
        self.apparent_out = MedianWindow()
        self.apparent_back = MedianWindow()

    @property
    def rejected_delays(self) -> int:
        """Link delay measurements the outlier gate dropped, since start."""
        return self.delay_filter.rejected

    def _not_p2p(self) -> DropReason | None:
        if self.port.config.delay_mechanism is DelayMechanism.P2P:
            return None
        return DropReason.WRONG_DELAY_MECHANISM

    # -- responder ---------------------------------------------------------------

    def on_request(
        self, msg: PdelayReqMsg, source: A, rx_ns: int | None, unicast: bool, now_ns: int
    ) -> DropReason | None:
        port = self.port
        if rx_ns is None:
            return self._not_p2p() or DropReason.NO_RX_TIMESTAMP
        if drop := self._not_p2p():
            return drop
        h = msg
        seq, requesting, correction = h.sequence_id, h.source_port_identity, h.correction
        destination: Multicast | A = source if unicast else PDELAY_MULTICAST
        data = port.messages.pdelay_resp(seq, rx_ns, requesting, unicast=unicast)

        def on_tx(tx_ns: int) -> None:
            if not port.operational:
                return
            fup = port.messages.pdelay_resp_follow_up(seq, tx_ns, requesting, correction, unicast=unicast)
            port.send(Channel.GENERAL, destination, fup, MessageType.PDELAY_RESP_FOLLOW_UP, now_ns)

        port.send(Channel.EVENT, destination, data, MessageType.PDELAY_RESP, now_ns, on_tx=on_tx)
        return None

    # -- requester ---------------------------------------------------------------

    def send_request(self, now_ns: int, clock_time_ns: int) -> None:
        port = self.port
        seq = port.next_sequence(MessageType.PDELAY_REQ)
        exchange = _Exchange(seq)
        self._exchange = exchange

        def on_tx(tx_ns: int) -> None:
            exchange.t1_ns = tx_ns
            self._try_complete()

        data = port.messages.pdelay_req(seq, max(0, clock_time_ns))
        port.send(Channel.EVENT, PDELAY_MULTICAST, data, MessageType.PDELAY_REQ, now_ns, on_tx=on_tx)

    def _match(self, msg: PdelayRespMsg | PdelayRespFollowUpMsg) -> _Exchange | None:
        exchange = self._exchange
        if (
            exchange is None
            or exchange.done
            or msg.requesting_port_identity != self.port.identity
            or msg.sequence_id != exchange.sequence_id
        ):
            return None
        return exchange

    def on_response(self, msg: PdelayRespMsg, rx_ns: int | None) -> DropReason | None:
        port = self.port
        if drop := self._not_p2p():
            return drop
        exchange = self._match(msg)
        if exchange is None or exchange.t4_ns is not None:
            port.counters.ignored += 1  # not ours, stale, or a second responder
            return None
        if rx_ns is None:
            return DropReason.NO_RX_TIMESTAMP
        exchange.t4_ns = rx_ns
        exchange.responder = msg.source_port_identity
        exchange.correction += msg.correction
        if msg.two_step:
            exchange.t2_ns = msg.request_receipt_timestamp.to_ns()
        else:
            # One-step responders fold the turnaround time into correctionField.
            exchange.t2_ns = exchange.t3_ns = 0
        self._try_complete()
        return None

    def on_response_follow_up(self, msg: PdelayRespFollowUpMsg) -> DropReason | None:
        port = self.port
        if drop := self._not_p2p():
            return drop
        exchange = self._match(msg)
        if (
            exchange is None
            or exchange.t3_ns is not None
            or exchange.responder != msg.source_port_identity
        ):
            port.counters.ignored += 1
            return None
        exchange.t3_ns = msg.response_origin_timestamp.to_ns()
        exchange.correction += msg.correction
        self._try_complete()
        return None

    def _try_complete(self) -> None:
        e = self._exchange
        if e is None or e.done or None in (e.t1_ns, e.t2_ns, e.t3_ns, e.t4_ns):
            return
        assert e.t1_ns is not None and e.t2_ns is not None and e.t3_ns is not None and e.t4_ns is not None
        e.done = True
        scaled = ((e.t4_ns - e.t1_ns) - (e.t3_ns - e.t2_ns)) << CORRECTION_FRACTION_BITS
        if self.mean_link_delay_ns is None:
            self.delay_filter.reset()  # the port forgot the link (left the operational states)
            self.apparent_out.clear()
            self.apparent_back.clear()
        self.apparent_out.add(e.t2_ns - e.t1_ns)
        self.apparent_back.add(e.t4_ns - e.t3_ns)
        filtered = self.delay_filter.add(correction_to_ns((scaled - e.correction) // 2))
        if filtered is None:
            return
        delay = filtered
        self.mean_link_delay_ns = delay
        port = self.port
        port.ds.peer_mean_path_delay_ns = delay
        port.clock.emit(PathDelaySample(port.number, DelayMechanism.P2P, delay))
