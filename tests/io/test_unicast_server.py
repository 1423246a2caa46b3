# SPDX-License-Identifier: GPL-2.0-or-later
"""The NTP-server shape: SO_REUSEPORT workers on one port, answering from
their on_packet callback to the sender, with kernel stamps on all four legs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Scenario = Callable[..., dict[str, Any]]  # the `scenario` fixture of conftest.py

pytestmark = pytest.mark.netns

CLIENTS = 8


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_reuseport_workers_answer_with_four_timestamps(scenario: Scenario, family: str) -> None:
    r = scenario("unicast_reply", family=family, port=123, workers=2, clients=CLIENTS)

    assert "Address already in use" in r["exclusive_bind"]  # only reuse-port sockets share it
    assert len(r["served"]) == CLIENTS
    for i, s in enumerate(r["served"]):
        legs = [s["client_tx"], s["server_rx"], s["server_tx"], s["client_rx"]]
        assert all(leg is not None and leg["source"] == "software" for leg in legs), s
        raws = [leg["raw"] for leg in legs]
        assert raws == sorted(raws), s  # request sent < received < reply sent < received
        assert s["request_from"] == r["client_ip"]
        assert (s["answer"], s["answer_from"]) == (f"re:req{i}", r["server_ip"])
    workers = r["worker_counters"]
    assert sum(w["rx_packets"] for w in workers) == CLIENTS
    assert sum(w["tx_timestamps"] for w in workers) == CLIENTS
    assert all(w["tx_timestamp_timeouts"] == w["callback_errors"] == w["rx_no_timestamp"] == 0
               for w in workers)
