# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared builders for the PTP core tests: packets from the fast codec and a driver loop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ptpbridge.core.ptp import (
    Action,
    ClockConfig,
    PortConfig,
    PtpClock,
    SendMessage,
    StateChanged,
)
from ptpbridge.wire.ptp.constants import ActionField, Flag, MessageType, PortState
from ptpbridge.wire.ptp.fast import (
    AnnounceMsg,
    DelayReqMsg,
    DelayRespMsg,
    FollowUpMsg,
    ManagementMsg,
    Message,
    PdelayReqMsg,
    PdelayRespFollowUpMsg,
    PdelayRespMsg,
    SyncMsg,
    decode,
    encode,
    header_for,
)
from ptpbridge.wire.ptp.tlvs import TLVManagement
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity, Timestamp

NS = 1_000_000_000
TAI_BASE = 1_700_000_000 * NS  # the PHC's TAI time when the monotonic clock reads 0
US = ClockIdentity.parse("001122.fffe.334455")
OTHER = ClockIdentity.parse("aabbcc.fffe.000001")
THIRD = ClockIdentity.parse("aabbcc.fffe.000002")
GOOD_QUALITY = ClockQuality(6, 0x21, 0x4E5D)
DEFAULT_QUALITY = ClockQuality(248, 0xFE, 0xFFFF)


def pid(clock: ClockIdentity, port: int = 1) -> PortIdentity:
    return PortIdentity(clock, port)


def announce(
    source: PortIdentity,
    seq: int,
    *,
    priority1: int = 128,
    quality: ClockQuality = DEFAULT_QUALITY,
    priority2: int = 128,
    gm: ClockIdentity | None = None,
    steps: int = 0,
    domain: int = 0,
    log_interval: int = 1,
    flags: int = 0,
    utc_offset: int = 37,
    time_source: int = 0xA0,
    major_sdo_id: int = 0,
) -> bytes:
    header = header_for(
        MessageType.ANNOUNCE,
        source_port_identity=source,
        sequence_id=seq,
        domain=domain,
        log_message_interval=log_interval,
        flags=flags,
        major_sdo_id=major_sdo_id,
    )
    return encode(
        AnnounceMsg.make(
            header,
            Timestamp.from_ns(TAI_BASE),
            utc_offset,
            priority1,
            quality,
            priority2,
            gm if gm is not None else source.clock_identity,
            steps,
            time_source,
        )
    )


def sync(source: PortIdentity, seq: int, origin_ns: int = 0, *, two_step: bool = True, correction: int = 0) -> bytes:
    header = header_for(
        MessageType.SYNC, source_port_identity=source, sequence_id=seq,
        flags=int(Flag.TWO_STEP) if two_step else 0, correction=correction,
    )  # fmt: skip
    return encode(SyncMsg.make(header, Timestamp.from_ns(origin_ns)))


def follow_up(source: PortIdentity, seq: int, precise_ns: int, *, correction: int = 0) -> bytes:
    header = header_for(MessageType.FOLLOW_UP, source_port_identity=source, sequence_id=seq, correction=correction)
    return encode(FollowUpMsg.make(header, Timestamp.from_ns(precise_ns)))


def delay_req(source: PortIdentity, seq: int, *, correction: int = 0, unicast: bool = False, domain: int = 0) -> bytes:
    header = header_for(
        MessageType.DELAY_REQ, source_port_identity=source, sequence_id=seq, correction=correction,
        flags=int(Flag.UNICAST) if unicast else 0, domain=domain,
    )  # fmt: skip
    return encode(DelayReqMsg.make(header, Timestamp.from_ns(TAI_BASE)))


def delay_resp(source: PortIdentity, seq: int, receive_ns: int, requesting: PortIdentity, *, correction: int = 0) -> bytes:
    header = header_for(MessageType.DELAY_RESP, source_port_identity=source, sequence_id=seq, correction=correction)
    return encode(DelayRespMsg.make(header, Timestamp.from_ns(receive_ns), requesting))


def pdelay_req(source: PortIdentity, seq: int, *, correction: int = 0, unicast: bool = False) -> bytes:
    header = header_for(
        MessageType.PDELAY_REQ, source_port_identity=source, sequence_id=seq, correction=correction,
        flags=int(Flag.UNICAST) if unicast else 0,
    )  # fmt: skip
    return encode(PdelayReqMsg.make(header, Timestamp.from_ns(TAI_BASE)))


def pdelay_resp(
    source: PortIdentity, seq: int, t2_ns: int, requesting: PortIdentity, *, correction: int = 0, two_step: bool = True
) -> bytes:
    header = header_for(
        MessageType.PDELAY_RESP, source_port_identity=source, sequence_id=seq, correction=correction,
        flags=int(Flag.TWO_STEP) if two_step else 0,
    )  # fmt: skip
    return encode(PdelayRespMsg.make(header, Timestamp.from_ns(t2_ns), requesting))


def pdelay_resp_fup(
    source: PortIdentity, seq: int, t3_ns: int, requesting: PortIdentity, *, correction: int = 0
) -> bytes:
    header = header_for(
        MessageType.PDELAY_RESP_FOLLOW_UP, source_port_identity=source, sequence_id=seq, correction=correction
    )
    return encode(PdelayRespFollowUpMsg.make(header, Timestamp.from_ns(t3_ns), requesting))


def management(
    source: PortIdentity,
    seq: int,
    management_id: int,
    *,
    action: int = ActionField.GET,
    body: object | None = None,
    target: PortIdentity | None = None,
    domain: int = 0,
    unicast: bool = False,
) -> bytes:
    tlv = TLVManagement(managementId=management_id)
    if body is not None:
        tlv = tlv / body
    header = header_for(
        MessageType.MANAGEMENT, source_port_identity=source, sequence_id=seq, domain=domain,
        flags=int(Flag.UNICAST) if unicast else 0,
    )  # fmt: skip
    target = target if target is not None else PortIdentity(ClockIdentity(b"\xff" * 8), 0xFFFF)
    return encode(ManagementMsg.make(header, target, 1, 1, int(action), bytes(tlv)))


@dataclass
class Driver:
    """Runs a PtpClock like the daemon would, in simulated monotonic time.

    The PHC reads TAI_BASE + now; TX timestamps are reported right away as
    the send time plus ``tx_latency_ns`` unless ``auto_tx`` is off (then
    they collect in ``pending_tx``).
    """

    clock: PtpClock[str]
    now: int = 0
    auto_tx: bool = True
    tx_latency_ns: int = 1_000
    sent: list[tuple[int, SendMessage[str]]] = field(default_factory=list)
    events: list[tuple[int, Action[str]]] = field(default_factory=list)
    pending_tx: list[tuple[int, SendMessage[str]]] = field(default_factory=list)

    def drain(self) -> None:
        while True:
            actions = self.clock.poll_actions()
            if not actions:
                return
            for action in actions:
                if isinstance(action, SendMessage):
                    self.sent.append((self.now, action))
                    if action.tx_timestamp_handle is not None:
                        if self.auto_tx:
                            self.clock.tx_timestamp(
                                action.port, action.tx_timestamp_handle, TAI_BASE + self.now + self.tx_latency_ns,
                                self.now,
                            )  # fmt: skip
                        else:
                            self.pending_tx.append((self.now, action))
                else:
                    self.events.append((self.now, action))

    def start(self) -> None:
        self.clock.start(self.now)
        self.drain()

    def advance_to(self, t: int) -> None:
        """Fire every timer due up to ``t``, each at its own deadline; the time is then ``t``."""
        while True:
            deadline = self.clock.next_deadline()
            if deadline is None or deadline > t:
                break
            self.now = max(self.now, deadline)
            self.clock.handle_timer(self.now, TAI_BASE + self.now)
            self.drain()
        self.now = t

    def advance(self, dt: int) -> None:
        self.advance_to(self.now + dt)

    def receive(
        self, data: bytes, *, port: int = 1, source: str = "peer", rx_ns: int | None = None, unicast: bool = False
    ) -> None:
        rx = TAI_BASE + self.now if rx_ns is None else rx_ns
        self.clock.receive(port, data, source, rx, self.now, unicast=unicast)
        self.drain()

    def state(self, port: int = 1) -> PortState:
        return self.clock.port(port).state

    def sent_of(self, message_type: MessageType, since: int = 0) -> list[SendMessage[str]]:
        return [a for t, a in self.sent if a.message_type is message_type and t >= since]

    def decoded(self, message_type: MessageType, since: int = 0) -> list[Message]:
        return [decode(a.data) for a in self.sent_of(message_type, since)]

    def state_changes(self, port: int = 1) -> list[tuple[int, PortState, PortState]]:
        return [
            (t, a.old, a.new) for t, a in self.events if isinstance(a, StateChanged) and a.port == port
        ]


def make_driver(
    *,
    ports: Sequence[PortConfig] | None = None,
    allow_set: bool | None = None,
    **config: object,
) -> Driver:
    cfg = ClockConfig(clock_identity=US, **config)  # type: ignore[arg-type]
    allow = None if allow_set is None else (lambda source: allow_set and source == "admin")
    clock: PtpClock[str] = PtpClock(cfg, list(ports or [PortConfig()]), allow_management_set=allow)
    driver = Driver(clock)
    driver.start()
    return driver
