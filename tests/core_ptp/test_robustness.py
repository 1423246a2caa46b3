# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input is counted and dropped, never raised, and never stops the port."""

from __future__ import annotations

import random

from ptpbridge.core.ptp import PortConfig
from ptpbridge.core.ptp.counters import DropReason
from ptpbridge.wire.ptp.constants import DelayMechanism, ManagementId, MessageType, PortState

from .helpers import (
    NS,
    OTHER,
    TAI_BASE,
    US,
    Driver,
    announce,
    delay_req,
    delay_resp,
    follow_up,
    make_driver,
    management,
    pdelay_req,
    pdelay_resp,
    pdelay_resp_fup,
    pid,
    sync,
)


def master(**port: object) -> Driver:
    d = make_driver(ports=[PortConfig(log_sync_interval=-3, **port)])  # type: ignore[arg-type]
    d.advance_to(6 * NS)
    assert d.state() is PortState.MASTER
    return d


def fed_total(d: Driver) -> int:
    c = d.clock.port(1).counters
    return sum(c.received.values()) + sum(c.dropped.values())


def test_each_rejection_has_its_counter() -> None:
    d = master()
    c = d.clock.port(1).counters
    good = delay_req(pid(OTHER), 1)
    d.receive(good[:20])
    d.receive(bytes([good[0], 0x01]) + good[2:])  # versionPTP 1
    d.receive(bytes([good[0], 0x13]) + good[2:])  # versionPTP 3
    d.receive(delay_req(pid(OTHER), 2, domain=5))
    d.receive(bytes([good[0] | 0x10]) + good[1:])  # majorSdoId 1 (gPTP)
    d.receive(bytes([good[0] & 0xF0 | 0x5]) + good[1:])  # messageType 5: undefined
    d.receive(delay_req(pid(US, 1), 3))  # our own multicast looped back
    d.receive(delay_req(pid(US, 2), 3))  # another port of this clock
    assert c.dropped[DropReason.MALFORMED] == 2
    assert c.dropped[DropReason.WRONG_VERSION] == 2
    assert c.dropped[DropReason.WRONG_DOMAIN] == 1
    assert c.dropped[DropReason.WRONG_SDO] == 1
    assert c.dropped[DropReason.OWN_MESSAGE] == 2
    assert c.received[MessageType.DELAY_REQ] == 0
    assert d.sent_of(MessageType.DELAY_RESP) == []
    d.receive(good)
    assert c.received[MessageType.DELAY_REQ] == 1 and len(d.sent_of(MessageType.DELAY_RESP)) == 1


def _corpus() -> list[bytes]:
    src = pid(OTHER, 3)
    return [
        announce(src, 1),
        announce(src, 2, priority1=1, steps=3),
        sync(src, 1, TAI_BASE),
        sync(src, 2, TAI_BASE, two_step=False),
        follow_up(src, 1, TAI_BASE),
        delay_req(src, 1),
        delay_resp(src, 1, TAI_BASE, pid(US)),
        pdelay_req(src, 1),
        pdelay_resp(src, 1, TAI_BASE, pid(US)),
        pdelay_resp_fup(src, 1, TAI_BASE, pid(US)),
        management(src, 1, ManagementId.DEFAULT_DATA_SET),
        management(src, 2, ManagementId.PORT_DATA_SET),
        management(src, 3, ManagementId.PRIORITY1, action=1),
    ]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    choice = rng.randrange(6)
    if choice == 0:  # flip a few bits
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
    elif choice == 1:  # truncate
        del buf[rng.randrange(len(buf)) :]
    elif choice == 2:  # random bytes in the body, header kept (so it passes the early checks)
        for i in range(34, len(buf)):
            buf[i] = rng.randrange(256)
    elif choice == 3:  # append a random suffix and fix messageLength sometimes
        buf += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        if rng.random() < 0.5:
            buf[2:4] = len(buf).to_bytes(2, "big")
    elif choice == 4:  # random messageLength
        buf[2:4] = rng.randrange(65536).to_bytes(2, "big")
    else:  # pure noise
        buf = bytearray(rng.randrange(256) for _ in range(rng.randrange(0, 120)))
    # keep domain/version/source plausible often enough to reach the handlers
    if len(buf) > 30 and rng.random() < 0.7:
        buf[1] = 0x12
        buf[4] = 0
    return bytes(buf)


def test_fuzz_ten_thousand_packets_never_raise() -> None:
    rng = random.Random(1588)
    corpus = _corpus()
    for mechanism in (DelayMechanism.E2E, DelayMechanism.P2P):
        d = master(delay_mechanism=mechanism)
        before = fed_total(d)
        n = 5_000
        for i in range(n):
            data = _mutate(rng, rng.choice(corpus))
            rx = None if i % 17 == 0 else TAI_BASE + d.now + rng.randrange(-NS, NS)
            d.clock.receive(1, data, "fuzz", rx, d.now, unicast=bool(i & 1))
            d.drain()
            if i % 500 == 0:
                d.advance(NS // 10)
        # every datagram ended in exactly one counter
        assert fed_total(d) - before == n
        c = d.clock.port(1).counters
        assert c.dropped[DropReason.MALFORMED] > 100
        # and the port still works: it is mastering or following whoever won, and keeps sending
        since = d.now + 1
        d.advance(2 * NS)
        assert d.state() in (PortState.MASTER, PortState.UNCALIBRATED, PortState.SLAVE, PortState.PASSIVE,
                             PortState.PRE_MASTER)  # fmt: skip
        assert d.sent_of(MessageType.SYNC, since) or d.sent_of(MessageType.DELAY_REQ, since) or (
            mechanism is DelayMechanism.P2P and d.sent_of(MessageType.PDELAY_REQ, since)
        )


def test_out_of_range_tx_timestamp_is_counted_not_raised() -> None:
    d = master()
    d.auto_tx = False
    d.advance(NS // 8)
    _, action = d.pending_tx.pop()
    assert action.tx_timestamp_handle is not None
    d.clock.tx_timestamp(1, action.tx_timestamp_handle, -5, d.now)  # no Timestamp can carry this
    d.drain()
    assert d.clock.port(1).counters.tx_timestamp_unmatched == 1
    assert d.sent_of(MessageType.FOLLOW_UP) == [] or all(
        t < d.now for t, a in d.sent if a.message_type is MessageType.FOLLOW_UP
    )
