# SPDX-License-Identifier: GPL-2.0-or-later
"""Peers-only baselines: chronyd server -> chronyd client (basic, interleaved,
symmetric key), ntpdig one-shot queries, a tshark capture of the exchange."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import nslab
from nslab.peers import Capture, Chronyd, ntpdig

pytestmark = [pytest.mark.netns, pytest.mark.peers]

# Shared CLOCK_REALTIME: the true offset is 0, so anything measured is path
# asymmetry and timestamping noise (tens of microseconds at most on veth).
OFFSET_BOUND_NS = 1_000_000
KEY = {1: ("SHA256", "HEX:" + "5a" * 32)}


@pytest.fixture(scope="module")
def server(lab_star: nslab.Lab) -> Iterator[Chronyd]:
    srv = Chronyd.server(lab_star["h1"], stratum=3, keys=KEY, name="ntp-server")
    srv.start()
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def test_basic_client(lab_star: nslab.Lab, server: Chronyd) -> None:
    h1, h2 = lab_star["h1"], lab_star["h2"]
    with Chronyd.client(h2, [h1.ipv4], name="basic") as cli:
        samples = cli.wait_for_measurements(6)
        for s in samples:
            assert s.address == h1.ipv4 and s.stratum == 3 and s.mode == 4
            assert not s.interleaved
            assert abs(s.offset_ns) < OFFSET_BOUND_NS
            assert 0 < s.delay_ns < OFFSET_BOUND_NS
        assert "^*" in cli.chronyc("sources") or "^+" in cli.chronyc("sources")


def test_interleaved_client_over_ipv6(lab_star: nslab.Lab, server: Chronyd) -> None:
    h1, h3 = lab_star["h1"], lab_star["h3"]
    with Chronyd.client(h3, [h1.ipv6], xleave=True, name="xleave") as cli:
        # the first exchange is basic; once the server has our previous
        # request's timestamps, answers come back interleaved ("4I")
        samples = cli.wait_for(
            "3 interleaved samples",
            lambda: ([m for m in cli.measurements() if m.interleaved][:3] or [None])
            if sum(m.interleaved for m in cli.measurements()) >= 3 else None, 30)
        assert len(samples) == 3
        for s in samples:
            assert s.address == h1.ipv6 and abs(s.offset_ns) < OFFSET_BOUND_NS


def test_authenticated_client(lab_star: nslab.Lab, server: Chronyd) -> None:
    h1, h2 = lab_star["h1"], lab_star["h2"]
    with Chronyd.client(h2, [h1.ipv4], key_id=1, keys=KEY, name="auth") as cli:
        cli.wait_for_measurements(3)
        rows = [line.split(",") for line in cli.chronyc("-c", "authdata").splitlines()]
        assert rows and rows[0][0] == h1.ipv4
        assert rows[0][1] == "SK" and rows[0][2] == "1"


def test_ntpdig(lab_star: nslab.Lab, server: Chronyd) -> None:
    h1, h3 = lab_star["h1"], lab_star["h3"]
    for addr in (h1.ipv4, h1.ipv6):
        res = ntpdig(h3, addr, samples=2)
        assert res.stratum == 3 and res.server == addr
        assert 1 <= len(res.samples) <= 2
        assert abs(res.offset_ns) < OFFSET_BOUND_NS
        for s in res.samples:
            assert s.t1 < s.t4 and s.t2 <= s.t3
            assert 0 < s.delay_ns < 50_000_000


def test_capture_sees_the_exchange(lab_star: nslab.Lab, server: Chronyd) -> None:
    h1, h2 = lab_star["h1"], lab_star["h2"]
    cap = Capture(h1, "udp port 123", name="ntp-cap").start()
    try:
        res = ntpdig(h2, h1.ipv4, samples=3)
    finally:
        cap.stop()
    rows = cap.read(["ip.src", "ip.dst", "ntp.flags.mode"], display_filter="ntp")
    requests = [r for r in rows if r[0] == h2.ipv4 and r[1] == h1.ipv4 and r[2] == "3"]
    replies = [r for r in rows if r[0] == h1.ipv4 and r[1] == h2.ipv4 and r[2] == "4"]
    assert len(requests) == len(replies) == 3  # ntpdig -p 3: three exchanges
    assert res.samples
