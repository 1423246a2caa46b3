# SPDX-License-Identifier: GPL-2.0-or-later
"""Impairments are real: measured by chronyd and by kernel timestamps.

Hosts share CLOCK_REALTIME, so a one-way delay is simply (receiver's kernel
RX timestamp - sender's clock read before send).
"""

from __future__ import annotations

import socket
import statistics
import struct
import time

import pytest

import nslab
from nslab.impair import Netem
from nslab.peers import Chronyd, ChronyMeasurement

pytestmark = [pytest.mark.netns, pytest.mark.peers]

SO_TIMESTAMPNS = 35
MS = 1_000_000


def _median(values: list[int]) -> float:
    return float(statistics.median(values))


def _phase(cli: Chronyd, skip: int = 4, take: int = 12,
           min_delay_ns: float = 0.0) -> list[ChronyMeasurement]:
    """Samples taken after a change: skip a few in flight, then collect.

    ``min_delay_ns`` also skips samples until the round trip shows the new
    impairment, so a late sample from before the change (a busy machine
    delays chronyd's polls and log writes) is never taken for one after it.
    The offsets, the quantity under test, are not used to decide that.
    """
    start = len(cli.measurements())
    cli.wait_for_measurements(skip, timeout=60, after=start)
    settled = start + skip
    if min_delay_ns:
        def reached() -> int | None:
            found = cli.measurements()
            return next((i for i in range(settled, len(found))
                         if found[i].delay_ns >= min_delay_ns), None)
        settled = cli.wait_for("the new delay in the samples", reached, 60)
    return cli.wait_for_measurements(take, timeout=60, after=settled)[:take]


def test_chrony_sees_asymmetry_and_delay(make_lab: object) -> None:
    lab = make_lab("star", hosts=2)  # type: ignore[operator]
    server_host, client_host = lab["h1"], lab["h2"]
    client_host.impair()  # same path (relay or plain netem) in every phase
    with Chronyd.server(server_host, name="imp-srv") as srv:
        srv.wait_ready()
        with Chronyd.client(client_host, [server_host.ipv4], raw=True, name="imp-cli") as cli:
            base = _phase(cli)
            base_delay = _median([m.delay_ns for m in base])
            client_host.impair(tx=Netem(delay_ns=1 * MS))
            asym = _phase(cli, min_delay_ns=base_delay + 0.5 * MS)
            client_host.impair(tx=Netem(delay_ns=5 * MS), rx=Netem(delay_ns=5 * MS))
            sym = _phase(cli, min_delay_ns=base_delay + 5 * MS)
    off0 = _median([m.offset_ns for m in base])
    d0 = _median([m.delay_ns for m in base])
    off1 = _median([m.offset_ns for m in asym])
    d2 = _median([m.delay_ns for m in sym])
    off2 = _median([m.offset_ns for m in sym])
    print(f"\nchrony offsets: base {off0:.0f} ns, +1 ms one way {off1:.0f} ns, "
          f"5 ms both ways {off2:.0f} ns; delays: base {d0:.0f} ns, 5+5 ms {d2:.0f} ns")
    # client->server delayed by 1 ms: theta = ((t2-t1)+(t3-t4))/2 grows by +0.5 ms
    assert off1 - off0 == pytest.approx(0.5 * MS, abs=0.25 * MS)
    # 5 ms each way: the round trip grows by 10 ms, the offset stays put
    assert d2 - d0 == pytest.approx(10 * MS, abs=2 * MS)
    assert off2 - off0 == pytest.approx(0, abs=0.25 * MS)


def _one_way(lab: nslab.Lab, count: int, gap_s: float = 0.002,
             size: int = 64) -> list[tuple[int, int]]:
    """Send ``count`` datagrams h1 -> h2; return (sent_ns, kernel_rx_ns) per arrival."""
    h1, h2 = lab["h1"], lab["h2"]
    rx = h2.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    rx.bind((h2.ipv4, 0))
    tx = h1.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # warm-up: the first datagram waits for ARP, which crosses the impaired link too
    # (and may be lost when loss is on: try a few times)
    rx.settimeout(0.5)
    for _ in range(10):
        tx.sendto(b"warm", rx.getsockname())
        try:
            rx.recvmsg(2048, 64)
            break
        except socket.timeout:
            continue
    sent: dict[int, int] = {}
    for seq in range(count):
        sent[seq] = time.clock_gettime_ns(time.CLOCK_REALTIME)
        tx.sendto(struct.pack("!I", seq).ljust(size, b"\0"), rx.getsockname())
        if gap_s:
            time.sleep(gap_s)
    out = []
    rx.settimeout(2.0)
    try:
        while True:
            data, anc, _, _ = rx.recvmsg(2048, 64)
            sec, nsec = struct.unpack("qq", anc[0][2][:16])
            if len(data) >= 4 and data != b"warm":
                out.append((sent[struct.unpack("!I", data[:4])[0]], sec * 1_000_000_000 + nsec))
    except socket.timeout:
        pass
    rx.close()
    tx.close()
    return out


def test_delay_jitter_loss_rate(make_lab: object) -> None:
    lab = make_lab("star", hosts=2)  # type: ignore[operator]
    h1 = lab["h1"]
    # delay 3 ms +- 1 ms on what h1 sends: every one-way delay in [2, 4] ms
    # (plus forwarding slack), and they really spread out
    h1.impair(tx=Netem(delay_ns=3 * MS, jitter_ns=1 * MS))
    delays = [rx - tx for tx, rx in _one_way(lab, 60)]
    assert len(delays) == 60
    # Never early; nine in ten within the jitter band plus 1 ms of forwarding;
    # a rare straggler may wait for the CPU on a busy 2-core machine.
    ordered = sorted(delays)
    assert ordered[0] >= 2 * MS
    assert ordered[int(0.9 * len(ordered))] < 5 * MS
    assert ordered[-1] < 25 * MS
    assert max(delays) - min(delays) > 0.5 * MS
    # 50 % loss: binomial(200, 0.5) has sd 7; [60, 140] is > 5 sd wide
    h1.impair(tx=Netem(loss_pct=50.0))
    got = len(_one_way(lab, 200, gap_s=0.0005))
    assert 60 <= got <= 140
    # 1 Mbit/s: 40 frames of ~1042 bytes (1000 payload + headers) sent at once
    # need ~40 * 8336 bit / 1e6 bit/s = 0.33 s to get through
    h1.impair(tx=Netem(rate_bps=1_000_000))
    arrivals = [rx for _, rx in _one_way(lab, 40, gap_s=0.0, size=1000)]
    assert len(arrivals) == 40
    assert max(arrivals) - min(arrivals) > 0.25 * 1e9
    h1.clear_impairments()
    plain = [rx - tx for tx, rx in _one_way(lab, 20)]
    assert len(plain) == 20 and _median(plain) < 1 * MS
