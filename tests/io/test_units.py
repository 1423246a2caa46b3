# SPDX-License-Identifier: GPL-2.0-or-later
"""The socket-free parts: control-message decoding and OPT_ID key tracking.

The namespace tests prove these against the kernel; here the corner cases the
kernel does not produce on demand (wrapping keys, ICMP errors on the error
queue, callbacks that raise) are driven directly.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import struct

from hypothesis import given
from hypothesis import strategies as st

from phc.net_tstamp import (
    IP_RECVERR,
    IPV6_RECVERR,
    PACKET_TX_TIMESTAMP,
    SCM_TIMESTAMPING,
    SCM_TSTAMP_SCHED,
    SCM_TSTAMP_SND,
    SO_EE_ORIGIN_TIMESTAMPING,
    SOL_PACKET,
)
from ptpbridge.io.cmsg import ExtendedErr, TxReport, rx_timestamp, scm_timestamps, tx_report
from ptpbridge.io.timestamps import PacketTimestamp, to_clock
from ptpbridge.io.txtrack import KEY_MODULUS, TxHandle, TxTracker

NS = 1_000_000_000
SO_EE_ORIGIN_ICMP = 2


def scm(sw: int = 0, hw: int = 0) -> tuple[int, int, bytes]:
    data = struct.pack("@6l", sw // NS, sw % NS, 0, 0, hw // NS, hw % NS)
    return (socket.SOL_SOCKET, SCM_TIMESTAMPING, data)


def ext_err(key: int, *, level: int = socket.IPPROTO_IP, type_: int = IP_RECVERR,
            e: int = errno.ENOMSG, origin: int = SO_EE_ORIGIN_TIMESTAMPING,
            info: int = SCM_TSTAMP_SND) -> tuple[int, int, bytes]:
    return (level, type_, struct.pack("=IBBBBII", e, origin, 0, 0, 0, info, key) + bytes(16))


class Shifted:
    def from_system_ns(self, realtime_ns: int) -> int:
        return realtime_ns + 37 * NS


@given(st.integers(min_value=1, max_value=2**62), st.integers(min_value=1, max_value=2**62))
def test_scm_timestamping_slots(sw: int, hw: int) -> None:
    assert scm_timestamps(scm(sw, hw)[2]) == (sw, 0, hw)
    assert rx_timestamp([scm(sw, hw)], "software") == sw
    assert rx_timestamp([scm(sw, hw)], "hardware") == hw


def test_rx_without_the_modes_slot_has_no_timestamp() -> None:
    assert rx_timestamp([scm(sw=5)], "hardware") is None
    assert rx_timestamp([], "software") is None


def test_tx_report_for_each_socket_family() -> None:
    for level, type_ in ((socket.IPPROTO_IP, IP_RECVERR), (socket.IPPROTO_IPV6, IPV6_RECVERR),
                         (SOL_PACKET, PACKET_TX_TIMESTAMP)):
        anc = [ext_err(7, level=level, type_=type_), scm(sw=123)]
        assert tx_report(anc, "software") == TxReport(7, 123)
        assert tx_report(list(reversed(anc)), "software") == TxReport(7, 123)


def test_error_queue_messages_that_are_not_our_tx_stamps() -> None:
    icmp = tx_report([ext_err(0, e=errno.EHOSTUNREACH, origin=SO_EE_ORIGIN_ICMP)], "software")
    assert isinstance(icmp, ExtendedErr) and icmp.errno == errno.EHOSTUNREACH
    sched = tx_report([ext_err(3, info=SCM_TSTAMP_SCHED), scm(sw=9)], "software")
    assert isinstance(sched, ExtendedErr)
    assert isinstance(tx_report([ext_err(3), scm(sw=9)], "hardware"), ExtendedErr)  # wrong slot
    assert tx_report([scm(sw=9)], "software") is None


def test_conversion_keeps_hardware_and_maps_software() -> None:
    assert to_clock(10, "hardware", Shifted()) == PacketTimestamp(10, 10, "hardware")
    assert to_clock(10, "software", Shifted()) == PacketTimestamp(10 + 37 * NS, 10, "software")


def test_keys_wrap_like_the_kernels_u32() -> None:
    tracker = TxTracker(first_key=KEY_MODULUS - 1)
    a, b = tracker.issue(1.0), tracker.issue(1.0)
    assert (a.key, b.key) == (KEY_MODULUS - 1, 0)
    tracker.burn_key()
    assert tracker.next_key == 2


def test_match_expire_and_give_up_settle_each_handle_once() -> None:
    tracker = TxTracker()
    early, late, kept = tracker.issue(1.0), tracker.issue(2.0), tracker.issue(3.0)
    stamp = PacketTimestamp(5, 5, "software")
    assert tracker.match(1, stamp) == (late, 0)
    assert tracker.match(1, stamp) == (None, 0)  # a duplicate or late report matches nothing
    assert tracker.next_deadline() == 1.0
    assert tracker.expire(2.5) == (1, 0)  # only `early`; `late` was already settled
    assert early.done and early.result() is None and late.result() == stamp
    assert tracker.next_deadline() == 3.0
    assert tracker.give_up(kept) == (True, 0)
    assert tracker.give_up(kept) == (False, 0)
    assert tracker.pending == 0 and tracker.next_deadline() is None


def test_raising_callbacks_are_counted_not_propagated() -> None:
    tracker = TxTracker()
    handle = tracker.issue(1.0)
    seen: list[int | None] = []

    def boom(h: TxHandle) -> None:
        raise RuntimeError("callback bug")

    handle.add_done_callback(boom)
    handle.add_done_callback(lambda h: seen.append(h.key))
    assert tracker.expire(1.0) == (1, 1)
    assert seen == [0]
    handle.add_done_callback(lambda h: seen.append(h.key))  # already done: runs at once
    assert seen == [0, 0]


def test_awaiting_a_handle() -> None:
    async def body() -> tuple[PacketTimestamp | None, PacketTimestamp | None, bool]:
        tracker = TxTracker()
        answered, ignored = tracker.issue(9e9), tracker.issue(9e9)
        ignored._give_up = tracker.give_up  # type: ignore[assignment]  # what the endpoint wires
        stamp = PacketTimestamp(1, 1, "hardware")
        asyncio.get_running_loop().call_soon(tracker.match, 0, stamp)
        got = await answered.timestamp()
        gave_up = await ignored.timestamp(0.01)
        return got, gave_up, tracker.pending == 0

    assert asyncio.run(body()) == (PacketTimestamp(1, 1, "hardware"), None, True)


@given(st.lists(st.sampled_from(["send", "burn", "report", "expire"]), max_size=60))
def test_reports_always_reach_the_send_that_took_the_key(ops: list[str]) -> None:
    """Model: the kernel hands out keys in order; reports name them; we must agree."""
    tracker = TxTracker()
    kernel_key = 0
    in_flight: list[tuple[int, TxHandle]] = []
    now = 0.0
    for op in ops:
        now += 1.0
        if op == "send":
            handle = tracker.issue(now + 3.0)
            in_flight.append((kernel_key, handle))
            kernel_key += 1
        elif op == "burn":
            tracker.burn_key()
            kernel_key += 1
        elif op == "report" and in_flight:
            key, handle = in_flight.pop(0)
            stamp = PacketTimestamp(key, key, "software")
            expired = handle.done
            matched, _ = tracker.match(key, stamp)
            assert matched is (None if expired else handle)
            assert handle.result() == (None if expired else stamp)
        else:
            tracker.expire(now)
        assert tracker.next_key == kernel_key
