# SPDX-License-Identifier: GPL-2.0-or-later
"""The master side of a port: Announce, two-step Sync + Follow_Up, Delay_Resp.

A Sync goes out with a transmit-timestamp request; the Follow_Up carrying
that timestamp (preciseOriginTimestamp) is sent when the I/O layer reports
it. If the report never comes the clock's TX timeout counts it and the
Follow_Up is simply skipped: the next Sync starts afresh, nothing waits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from ptpbridge.core.ptp.actions import MULTICAST, Channel, Multicast
from ptpbridge.core.ptp.counters import DropReason
from ptpbridge.wire.ptp.constants import MessageType, PortState
from ptpbridge.wire.ptp.fast import DelayReqMsg

if TYPE_CHECKING:
    from ptpbridge.core.ptp.port import Port

A = TypeVar("A")


class MasterRole(Generic[A]):
    def __init__(self, port: Port[A]) -> None:
        self.port = port

    def send_announce(self, now_ns: int, clock_time_ns: int) -> None:
        port = self.port
        clock = port.clock
        pds = clock.parent_ds
        tp = clock.time_properties_ds
        data = port.messages.announce(
            port.next_sequence(MessageType.ANNOUNCE),
            max(0, clock_time_ns),
            time_flags=tp.flag_bits(),
            current_utc_offset=tp.current_utc_offset,
            grandmaster_priority1=pds.grandmaster_priority1,
            grandmaster_clock_quality=pds.grandmaster_clock_quality,
            grandmaster_priority2=pds.grandmaster_priority2,
            grandmaster_identity=pds.grandmaster_identity,
            steps_removed=clock.current_ds.steps_removed,
            time_source=tp.time_source,
        )
        port.send(Channel.GENERAL, MULTICAST, data, MessageType.ANNOUNCE, now_ns)

    def send_sync(self, now_ns: int, clock_time_ns: int) -> None:
        port = self.port
        seq = port.next_sequence(MessageType.SYNC)
        # Two-step: originTimestamp is only an estimate; the Follow_Up carries the real one.
        data = port.messages.sync(seq, max(0, clock_time_ns))

        def on_tx(tx_ns: int) -> None:
            self._send_follow_up(seq, tx_ns, MULTICAST, now_ns)

        port.send(Channel.EVENT, MULTICAST, data, MessageType.SYNC, now_ns, on_tx=on_tx)

    def _send_follow_up(self, seq: int, tx_ns: int, destination: Multicast | A, now_ns: int) -> None:
        port = self.port
        if port.state is not PortState.MASTER:
            return
        data = port.messages.follow_up(seq, tx_ns, unicast=not isinstance(destination, Multicast))
        port.send(Channel.GENERAL, destination, data, MessageType.FOLLOW_UP, now_ns)

    def on_delay_req(
        self, msg: DelayReqMsg, source: A, rx_ns: int | None, unicast: bool, now_ns: int
    ) -> DropReason | None:
        port = self.port
        if port.state is not PortState.MASTER:
            port.counters.ignored += 1
            return None
        if rx_ns is None:
            return DropReason.NO_RX_TIMESTAMP
        h = msg
        data = port.messages.delay_resp(
            h.sequence_id, rx_ns, h.source_port_identity, h.correction, unicast=unicast
        )
        destination: Multicast | A = source if unicast else MULTICAST
        port.send(Channel.GENERAL, destination, data, MessageType.DELAY_RESP, now_ns)
        return None
