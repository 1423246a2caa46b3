# SPDX-License-Identifier: GPL-2.0-or-later
"""The core's fast path for plain requests decides exactly as the general path does.

Two cores, one with the fast path switched off, get the same sequences of
requests (plain 48-octet ones, mostly valid, some from denied addresses,
some in interleaved form that refer to earlier replies, with TX timestamps
reported in between) and must return identical decisions, final bytes,
counters and client tables.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ptpbridge.core.ntp.server as server
from ptpbridge.core.ntp import NtpDecision, ServerTimeState
from ptpbridge.wire.ntp import Leap, NtpPacket
from ptpbridge.wire.ntp.packet import decode as real_decode

from ._common import NS, STATE, T0, core

CLIENTS = ("198.18.0.1", "198.18.0.2", "::ffff:198.18.0.1", "fd00::5", "203.0.113.9", "2001:db8::1")
STATES = (
    STATE,
    ServerTimeState.unsynchronised(),
    ServerTimeState.synchronised("GPS", 2, T0 - NS, leap=Leap.INSERT, root_delay_ns=123_456,
                                 root_dispersion_ns=77, precision=-23),
)

first_octets = st.one_of(st.sampled_from([(v << 3) | 3 for v in (2, 3, 4)]), st.integers(0, 255))
timestamps = st.one_of(st.just(0), st.integers(0, (1 << 64) - 1))
request = st.tuples(first_octets, st.integers(-128, 127), timestamps, timestamps, timestamps,
                    st.binary(min_size=21, max_size=21))
step = st.tuples(
    st.sampled_from(CLIENTS), request, st.integers(0, 10 * NS),
    st.booleans(),  # refer to our previous reply to this client (interleaved form)
    st.one_of(st.none(), st.integers(0, 50_000)),  # the TX timestamp reported for the reply, after rx
)


def _pack(req: tuple[int, int, int, int, int, bytes]) -> bytes:
    b0, poll, org, rcv, xmt, middle = req
    return struct.pack("!Bb", b0, poll) + middle + struct.pack("!QQQ", org, rcv, xmt)


def _view(d: NtpDecision) -> tuple[object, ...]:
    final = None if d.reply is None else d.finalize(T0 + 42)
    return (None if d.reply is None else bytes(d.reply), final, d.kind, d.drop_reason, d.transmit, d.reply_id,
            d.sign_key, d.version)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STATES), st.lists(step, min_size=1, max_size=25))
def test_fast_path_matches_general_path(state: ServerTimeState, steps: list[tuple[object, ...]]) -> None:
    fast, general = core(), core()
    general.fast_path = False
    for c in (fast, general):
        c.set_state(state)
    last: dict[str, tuple[int, int]] = {}  # client -> (receive ntp64 it saw, our reply's transmit field)
    now = T0
    for client, req, gap, refer, tx_delay in steps:
        assert isinstance(client, str) and isinstance(req, tuple) and isinstance(gap, int)
        now += gap
        data = _pack(req)
        if refer and client in last:
            data = data[:24] + struct.pack("!QQ", *last[client]) + data[40:]
        decisions = [c.handle(data, (client, 123), now, now) for c in (fast, general)]
        assert _view(decisions[0]) == _view(decisions[1])
        d = decisions[0]
        if d.reply is not None:
            last[client] = (d.reply_id, struct.unpack_from("!Q", d.reply, 32)[0])
            if isinstance(tx_delay, int):
                recorded = [c.record_tx((client, 123), d.reply_id, now + tx_delay) for c in (fast, general)]
                assert recorded[0] == recorded[1]
    assert fast.counters.as_dict() == general.counters.as_dict()
    assert [r.as_dict() for r in fast.clients.snapshot()] == [r.as_dict() for r in general.clients.snapshot()]
    assert len(fast.interleave) == len(general.interleave)


def test_fast_path_is_taken_for_plain_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above means something only if the fast path runs: no full parse for a plain request."""
    parsed: list[bytes] = []

    def counting_decode(data: bytes) -> NtpPacket:
        parsed.append(bytes(data))
        return real_decode(data)

    monkeypatch.setattr(server, "decode", counting_decode)
    plain = struct.pack("!B47x", (4 << 3) | 3)
    c = core()
    assert c.handle(plain, ("198.18.0.1", 123), T0).reply is not None
    assert parsed == []
    c.fast_path = False
    assert c.handle(plain, ("198.18.0.1", 123), T0).reply is not None
    assert parsed == [plain]
