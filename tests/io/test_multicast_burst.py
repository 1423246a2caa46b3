# SPDX-License-Identifier: GPL-2.0-or-later
"""Multicast bursts between two lab hosts over UDPv4, UDPv6 and raw Ethernet.

Every packet must arrive once with a kernel RX timestamp, every timestamped
send must get its own TX timestamp back from the error queue under the next
OPT_ID key, and the stamps must respect causality: taken after the sender's
CLOCK_REALTIME read before the burst, TX before the matching RX, RX before
the read after the burst (all namespaces share one kernel clock).  The daemon
clock is a SimulatedClock 37 s ahead, so converted stamps must equal its
``from_system_ns`` of the raw kernel value, exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Scenario = Callable[..., dict[str, Any]]  # the `scenario` fixture of conftest.py

pytestmark = pytest.mark.netns

OFFSET_NS = 37_000_000_000
COUNT = 200
SKIP_EVERY = 10  # every 10th send asks for no TX timestamp: it must not take a key
CHUNK = 25  # sends between two yields to the loop

CASES = [
    pytest.param({"kind": "ipv4", "group": "224.0.1.129"}, id="udp4-224.0.1.129"),
    pytest.param({"kind": "ipv4", "group": "224.0.0.107"}, id="udp4-224.0.0.107"),
    pytest.param({"kind": "ipv6", "group": "ff0e::181"}, id="udp6-ff0e::181"),
    pytest.param({"kind": "ipv6", "group": "ff02::6b"}, id="udp6-ff02::6b"),
    pytest.param({"kind": "l2"}, id="l2-0x88f7-01:1b:19:00:00:00"),
]


def check_stamp(ts: dict[str, Any] | None, expect: int | None) -> None:
    assert ts is not None
    assert ts["source"] == "software"
    assert ts["ns"] == expect == ts["raw"] + OFFSET_NS


@pytest.mark.parametrize("case", CASES)
def test_burst_every_packet_and_timestamp_matched(scenario: Scenario, case: dict[str, Any]) -> None:
    r = scenario("burst", **case, offset_ns=OFFSET_NS, count=COUNT, skip_every=SKIP_EVERY, chunk=CHUNK)

    assert (r["tx_mode"], r["rx_mode"]) == ("software", "software")
    assert "no hardware timestamping" in r["tx_reason"]  # "auto" on veth says why

    sent = r["sent"]
    stamped = [s for s in sent if s["want"]]
    unstamped = [s for s in sent if not s["want"]]
    assert len(unstamped) == COUNT // SKIP_EVERY
    assert all(s["key"] is None and s["ts"] is None and s["done"] for s in unstamped)
    # The kernel numbers only timestamped sends, from 0: our keys must be exactly that.
    assert [s["key"] for s in stamped] == list(range(len(stamped)))
    assert r["all_stamped"]
    for s in stamped:
        check_stamp(s["ts"], s["expect"])

    received = {p["i"]: p for p in r["received"]}
    assert sorted(received) == list(range(COUNT)) and len(r["received"]) == COUNT
    for p in r["received"]:
        assert p["payload_ok"]
        assert p["addr"] == r["sender"]
        check_stamp(p["ts"], p["expect"])

    t0, t1 = r["t0"], r["t1"]
    previous_tx = t0
    for s in stamped:
        tx_raw, rx_raw = s["ts"]["raw"], received[s["i"]]["ts"]["raw"]
        assert previous_tx <= tx_raw <= rx_raw <= t1, s
        previous_tx = tx_raw  # sends are sequential, so are their TX stamps

    tx_c, rx_c = r["tx_counters"], r["rx_counters"]
    assert tx_c["tx_packets"] == COUNT
    assert tx_c["tx_timestamps"] == len(stamped)
    assert tx_c["tx_timestamp_timeouts"] == tx_c["tx_timestamp_unmatched"] == 0
    assert tx_c["tx_errors"] == tx_c["errqueue_other"] == 0
    assert rx_c["rx_packets"] == COUNT
    assert tx_c["rx_packets"] == 0  # multicast loop is off: the sender hears nothing of its own
    if case["kind"] != "l2":
        assert r["bystander_rx"] == 0  # a socket that joined nothing gets no group traffic
    assert rx_c["rx_no_timestamp"] == rx_c["rx_queue_drops"] == rx_c["rx_errors"] == 0
