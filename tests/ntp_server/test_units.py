# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon-side pieces that need no lab: clock map, time state, counter merging, BPF program."""

from __future__ import annotations

import ipaddress
import random
import socket

import phc
import pytest

from ptpbridge.config.ntp import NtpConfig
from ptpbridge.daemon.ntp_clockmap import ClockMap, sample
from ptpbridge.daemon.ntp_counters import merge_counts
from ptpbridge.daemon.ntp_reuseport import SKF_NET_OFF, address_hash, program, worker_for
from ptpbridge.daemon.ntp_settings import core_config, share
from ptpbridge.daemon.ntp_state import server_state, state_from_json, state_to_json
from ptpbridge.daemon.ntp_worker import asks_interleaved
from ptpbridge.timebase import LeapState, Timebase
from ptpbridge.wire.ntp import Leap

NS = 1_000_000_000


def test_clock_map_follows_a_simulated_clock_with_frequency_error() -> None:
    now = [1_800_000_000 * NS]
    clock = phc.SimulatedClock(offset_ns=37 * NS + 1234, frequency_error_ppb=2500.0, time_source=lambda: now[0])
    now[0] += 5 * NS
    line = sample_at(clock, now[0])
    for ahead in (0, 1, 250_000_000, NS):  # within a tick of the sample
        assert abs(line.from_system_ns(now[0] + ahead) - clock.from_system_ns(now[0] + ahead)) <= 1


def sample_at(clock: phc.SimulatedClock, at: int) -> ClockMap:
    """`sample` reads CLOCK_REALTIME; for an injected time base build the same line by hand."""
    before = at - 100_000_000
    return ClockMap(at, clock.from_system_ns(at), 100_000_000, clock.from_system_ns(at) - clock.from_system_ns(before))


def test_clock_map_of_the_system_clock_is_the_identity() -> None:
    line = sample(phc.SystemClock())
    assert line.from_system_ns(1_800_000_000 * NS) == 1_800_000_000 * NS
    assert ClockMap.from_json(line.to_json()) == line


def test_state_follows_config_and_timebase() -> None:
    cfg = NtpConfig(local_stratum=3, reference_id="GPS")
    tb = Timebase()
    state = server_state(cfg, tb, 5 * NS, -23)
    assert (state.leap, state.wire_stratum, state.reference_id, state.precision) == (Leap.NONE, 3, b"GPS\0", -23)
    tb.leap = LeapState.INSERT
    assert server_state(cfg, tb, 5 * NS, -23).leap is Leap.INSERT
    tb.utc_offset_valid = False  # UTC unknown: do not let anyone synchronise to it
    assert server_state(cfg, tb, 5 * NS, -23).wire_stratum == 16
    off = server_state(NtpConfig(local_stratum=0), Timebase(), 5 * NS, -23)
    assert off.leap is Leap.UNSYNCHRONISED and off.wire_stratum == 16
    assert state_from_json(state_to_json(state)) == state


def test_tables_are_split_between_workers() -> None:
    assert [share(10, w) for w in (1, 3, 20)] == [10, 4, 1]
    core = core_config(NtpConfig(client_log_entries=1000, interleave_entries=900), 4)
    assert core.monitor_max_clients == 250 and core.interleave.max_entries == 225


def test_counters_add_up_nested() -> None:
    total = merge_counts([{"a": 1, "d": {"x": 2}, "s": "v"}, {"a": 2, "d": {"x": 3, "y": 1}}])
    assert total == {"a": 3, "d": {"x": 5, "y": 1}, "s": "v"}


def run_cbpf(insns: list[tuple[int, int, int, int]], network_header: bytes) -> int:
    """A classic-BPF interpreter for the opcodes the reuseport program uses."""
    a = x = 0
    for code, _jt, _jf, k in insns:
        if code == 0x20:  # ld [k], k = SKF_NET_OFF + offset
            offset = k - (SKF_NET_OFF & 0xFFFF_FFFF)
            a = int.from_bytes(network_header[offset:offset + 4], "big")
        elif code == 0x07:  # tax
            x = a
        elif code == 0x74:  # rsh #k
            a >>= k
        elif code == 0xAC:  # xor x
            a ^= x
        elif code == 0x24:  # mul #k
            a = (a * k) & 0xFFFF_FFFF
        elif code == 0x94:  # mod #k
            a %= k
        elif code == 0x16:  # ret a
            return a
        else:
            raise AssertionError(f"unexpected opcode {code:#x}")
    raise AssertionError("no return")


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_bpf_program_computes_worker_for(family: int) -> None:
    rng = random.Random(family)
    for workers in (2, 3, 7):
        insns = program(family, workers)
        for _ in range(200):
            src: ipaddress.IPv4Address | ipaddress.IPv6Address
            if family == socket.AF_INET:
                src = ipaddress.IPv4Address(rng.getrandbits(32))
                header = bytes([0x45]) + bytes(11) + src.packed + bytes(4)
            else:
                src = ipaddress.IPv6Address(rng.getrandbits(128))
                header = bytes([0x60]) + bytes(7) + src.packed + bytes(16)
            assert run_cbpf(insns, header) == worker_for(str(src), workers)


def test_worker_for_depends_on_the_address_only() -> None:
    assert worker_for("198.18.0.7", 1) == 0
    spread = {worker_for(f"198.18.{i // 256}.{i % 256}", 4) for i in range(64)}
    assert spread == {0, 1, 2, 3}
    assert address_hash("fd70:6274::1") != address_hash("fd70:6274::2")


def test_interleaved_form_of_a_request() -> None:
    def req(origin: int, transmit: int) -> bytes:
        return bytes(24) + origin.to_bytes(8, "big") + bytes(8) + transmit.to_bytes(8, "big")
    assert asks_interleaved(req(5, 9))
    assert not asks_interleaved(req(0, 9)) and not asks_interleaved(req(9, 9))


@pytest.mark.parametrize("timescale", ["tai", "utc"])
def test_time_view_one_step_conversion_equals_map_then_timebase(timescale: str) -> None:
    """The folded map the packet path uses gives exactly the two-step result, also after an update."""
    from ptpbridge.daemon.ntp_worker import TimeView
    from ptpbridge.timebase import Timescale

    rng = random.Random(7)
    line = ClockMap(1_800_000_000 * NS, 1_800_000_037 * NS + 999, 100_000_000, 100_000_251)
    view = TimeView(line, Timebase(37), Timescale(timescale))
    for _ in range(1000):
        raw = 1_800_000_000 * NS + rng.randrange(-2 * NS, 2 * NS)
        assert view.system_to_utc(raw) == view.to_utc(view.from_system_ns(raw))
    view.update({"clock_map": ClockMap(5 * NS, 9 * NS, 3, 4).to_json(), "utc_offset_s": 36, "timescale": timescale})
    for raw in (0, 5 * NS, 5 * NS + 1, 7 * NS + 2):
        assert view.system_to_utc(raw) == view.to_utc(view.from_system_ns(raw))


def test_a_send_of_no_message_sends_nothing() -> None:
    """The batch worker's timed dry run before its clock reads: sendmmsg of 0 messages, nothing on the wire."""
    from ptpbridge.io.mmsg import SendSlots

    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        slots = SendSlots(4, 64, socket.AF_INET)
        slots.data[0:5] = b"hello"
        slots.use(0, 5, False)
        assert slots.send(a.fileno(), 0) == []
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            b.recv(64)
