# SPDX-License-Identifier: GPL-2.0-or-later
"""Real clients agree: chronyd (basic and xleave) and ntpdig against `ptpbridge run` and chronyd.

Lab star of three hosts: h1 runs our daemon (2 NTP workers, a zero-error
simulated clock, so the UTC it serves is the lab's true time), h2 runs
chronyd with `local stratum 1`, h3 runs two chronyd clients (-x) polling
both servers 16 times a second, one in basic mode over IPv4, one with
xleave over IPv6. Then ntpdig, `ptpbridge status` and `ptpbridge clients`.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from nslab.lab import Lab
from nslab.peers import ChronyMeasurement, Chronyd, ntpdig
from ptpbridge.bench.ntp_lab import PtpbridgeNtp, ntp_config
from ptpbridge.daemon.ntp_reuseport import worker_for

from ._helpers import PEERS, cli, cli_json

pytestmark = PEERS

SAMPLES = 40  # per source and client, after the iburst start
MS = 1_000_000


@dataclass
class Run:
    lab: Lab
    ours: PtpbridgeNtp
    basic: dict[str, list[ChronyMeasurement]] = field(default_factory=dict)
    xleave: dict[str, list[ChronyMeasurement]] = field(default_factory=dict)


def _by_address(samples: list[ChronyMeasurement]) -> dict[str, list[ChronyMeasurement]]:
    out: dict[str, list[ChronyMeasurement]] = {}
    for m in samples:
        out.setdefault(m.address, []).append(m)
    return out


@pytest.fixture(scope="module")
def run(make_module_lab: Any) -> Iterator[Run]:
    lab = make_module_lab("star", hosts=3)
    h1, h2, h3 = lab["h1"], lab["h2"], lab["h3"]
    ours = PtpbridgeNtp(h1, ntp_config(workers=2)).start()
    peer = Chronyd.server(h2, stratum=1, allow=["all"]).start()
    clients = {
        "basic": Chronyd.client(h3, [h1.ipv4, h2.ipv4], minpoll=-4, maxpoll=-4, name="basic"),
        "xleave": Chronyd.client(h3, [h1.ipv6, h2.ipv6], minpoll=-4, maxpoll=-4, xleave=True, name="xleave"),
    }
    try:
        peer.wait_ready()
        for client in clients.values():
            client.start()
        result = Run(lab, ours)
        for mode, client in clients.items():
            def enough(client: Chronyd = client) -> list[ChronyMeasurement] | None:
                found = _by_address(client.measurements())
                return client.measurements() if len(found) == 2 and all(
                    len(v) >= SAMPLES + 8 for v in found.values()) else None
            setattr(result, mode, _by_address(client.wait_for(f"{SAMPLES} samples per source", enough, 60)))
        for client in clients.values():
            client.stop()
        yield result
    finally:
        for client in clients.values():
            client.stop()
        peer.stop()
        ours.stop()


def test_chronyd_client_measures_both_servers_with_sane_offsets(run: Run) -> None:
    h1, h2 = run.lab["h1"], run.lab["h2"]
    for samples, ours, theirs in ((run.basic, h1.ipv4, h2.ipv4), (run.xleave, h1.ipv6, h2.ipv6)):
        for address in (ours, theirs):
            steady = samples[address][8:]
            assert all(m.stratum == 1 and m.leap == "N" for m in steady), address
            assert sum(m.tests_passed for m in steady) >= len(steady) // 2, address
            # Both serve the lab's true time: the client (same kernel clock) sees ~0.
            median = statistics.median(m.offset_ns for m in steady)
            assert abs(median) < 1 * MS, (address, median)


def test_xleave_client_gets_interleaved_samples_from_us(run: Run) -> None:
    ours = run.xleave[run.lab["h1"].ipv6][8:]
    interleaved = [m for m in ours if m.interleaved]
    assert len(interleaved) >= len(ours) // 2, [m.interleaved for m in ours]
    # The basic client never asked for it and never got it.
    assert not any(m.interleaved for m in run.basic[run.lab["h1"].ipv4])
    counters = run.ours.ntp()["counters"]
    assert counters["interleaved_replies"] >= len(interleaved)


def test_ntpdig_gets_valid_replies_over_ipv4_and_ipv6(run: Run) -> None:
    h1, h3 = run.lab["h1"], run.lab["h3"]
    for address in (h1.ipv4, h1.ipv6):
        result = ntpdig(h3, address)
        assert result.stratum == 1 and result.leap == "no-leap"
        assert result.samples
        for sample in result.samples:
            # Server receive and transmit lie between the client's send and receive.
            assert sample.t1 <= sample.t2 <= sample.t3 <= sample.t4, sample
            assert 0 <= sample.delay_ns < 1000 * MS


def test_status_shows_the_ntp_section(run: Run) -> None:
    status = cli_json("status", run.ours.control)["ntp"]
    counters = status["counters"]
    assert status["stratum"] == 1 and status["reference_id"] == "PHC" and status["leap"] == "none"
    assert [w["alive"] for w in status["workers"]] == [True, True]
    assert counters["received"] == counters["replied"] + sum(counters["dropped"].values())
    assert counters["replied"] >= 2 * SAMPLES  # two of the four sources are ours
    assert status["timestamps"]["rx"]["software"] == counters["received"]
    assert status["timestamps"]["tx"]["software"] > 0  # interleaved clients' replies
    assert {e["address"] for e in status["listen"]} == {"0.0.0.0", "::"}
    table = cli("status", "--control", str(run.ours.control))
    assert table.returncode == 0, table.stderr
    rows = {k.strip(): v for k, v in (line.split(" : ", 1) for line in table.stdout.splitlines())}
    assert rows["NTP server"].strip().startswith("stratum 1, reference PHC, leap none, 2/2 workers")
    shown = re.fullmatch(r"(\d+) received, (\d+) replied, (\d+) interleaved, KoD 0", rows["NTP requests"].strip())
    assert shown is not None, rows["NTP requests"]
    assert int(shown[1]) >= counters["received"] and int(shown[3]) >= counters["interleaved_replies"] > 0


def test_basic_transmit_compensation_is_learnt_from_kernel_tx_timestamps(run: Run) -> None:
    """The IPv4 socket serving the basic client probed some replies and holds a plausible delay."""
    status = run.ours.ntp()
    learnt = [s for w in status["workers"] for s, e in zip(w["tx_latency"], status["listen"], strict=True)
              if e["address"] == "0.0.0.0" and s is not None and s["samples"] > 0]
    assert learnt, status["workers"]
    for entry in learnt:
        # From clock read to the kernel's TX stamp: positive, and far below a millisecond.
        assert 0 < entry["compensation_ns"] < 1 * MS, entry
        assert 0 <= entry["slope_ppm"] <= 1_000_000, entry


def test_clients_lists_each_client_on_the_worker_its_address_hashes_to(run: Run) -> None:
    h3 = run.lab["h3"]
    result = cli_json("clients", run.ours.control)
    by_address = {c["address"]: c for c in result["clients"]}
    assert {h3.ipv4, h3.ipv6} <= set(by_address)
    for address, client in by_address.items():
        assert client["worker"] == worker_for(address, 2), address
        assert client["requests"] > 0 and client["last_mode"] == 3
    assert by_address[h3.ipv6]["interleaved"] > 0
    assert by_address[h3.ipv4]["interleaved"] == 0
    table = cli("clients", "--control", str(run.ours.control))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["Address", "Requests", "Drops", "Interleaved", "Mode", "Key", "Last", "seen"]
    assert any(line.startswith(h3.ipv6) and "v4 client" in line for line in lines[2:])
