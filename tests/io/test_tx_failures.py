# SPDX-License-Identifier: GPL-2.0-or-later
"""TX timestamps that never come, and sends that fail, against the real kernel.

A send to a neighbour that does not exist is queued waiting for ARP and never
reaches the driver, so its timestamp never comes: the handle must resolve to
None, the timeout be counted once, and the endpoint go on matching later sends.
Failed sends must keep our OPT_ID counter in step with the kernel's, both for
errors raised before the packet is built (no key taken) and after (key taken).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

import pytest

Scenario = Callable[..., dict[str, Any]]  # the `scenario` fixture of conftest.py

pytestmark = pytest.mark.netns

GHOST = "198.18.0.200"  # in the lab subnet, no host answers ARP for it


def test_missing_tx_timestamp_resolves_to_none_and_is_counted(scenario: Scenario) -> None:
    r = scenario("timeout", tx_timeout=0.3, await_timeout=0.05, ghost=GHOST)

    assert r["lost"] == {"key": 0, "done": True, "ts": None, "errno": None}
    assert r["lost_ts"] is None
    assert r["callback_keys"] == [0]  # done-callbacks run on timeout too
    assert r["after_lost"]["tx_timestamp_timeouts"] == 1

    # The endpoint keeps working: the next send takes the next key and is matched.
    assert r["good"]["key"] == 1
    assert r["good_ts"] is not None and r["good_ts"] == r["good"]["ts"]
    assert r["rx_data"] == "to h2"
    assert r["good_ts"]["raw"] <= r["rx_ts"]["raw"]
    final = r["final"]
    assert final["tx_timestamps"] == 1
    assert final["tx_timestamp_timeouts"] == 1
    assert final["tx_timestamp_unmatched"] == 0
    assert r["pending"] == 0

    # A caller's shorter wait gives up on its own (the endpoint would wait 60 s),
    # counted once, with nothing left pending.
    assert r["impatient"]["key"] == 0 and r["impatient_ts"] is None
    assert r["patient_after"]["tx_timestamp_timeouts"] == 1
    assert r["patient_pending"] == 0
    # With its own deadline a minute away, this stamp can only have come through the
    # error queue waking the reader (POLLERR), not through the timeout path.
    assert r["heard"]["key"] == 1 and r["heard_ts"] is not None
    assert r["rx_all"] == ["to h2", "to h2 again"]


EXPECTED_STEPS = [
    # (step, errno of the send, key of the send)
    ("udp-first", None, 0),
    ("udp-broadcast-refused", errno.EACCES, None),
    ("udp-after-refused", None, 1),
    ("udp-oversize", errno.EMSGSIZE, None),
    ("udp-after-oversize", None, 2),
    ("udp-netfilter-drop", errno.EPERM, None),  # took key 3
    ("udp-after-drop", None, 4),
    ("l2-first", None, 0),
    ("l2-oversize", errno.EMSGSIZE, None),
    ("l2-after-oversize", None, 1),
    ("l2-egress-drop", errno.ENOBUFS, None),  # took key 2
    ("l2-after-drop", None, 3),
]


def test_failed_sends_keep_keys_in_step_with_the_kernel(scenario: Scenario) -> None:
    r = scenario("send_errors", broadcast="198.18.0.255")

    got = [(s["step"], s["errno"], s["key"]) for s in r["steps"]]
    assert got == EXPECTED_STEPS
    for s in r["steps"]:
        if s["errno"] is None:
            assert s["got"] is not None, f"{s['step']}: TX timestamp not matched"
        else:
            assert s["done"] and s["ts"] is None
    assert r["udp_received"] == ["udp-first", "udp-after-refused", "udp-after-oversize", "udp-after-drop"]
    assert r["l2_received"] == ["l2-first", "l2-after-oversize", "l2-after-drop"]
    for counters, errors, stamps in ((r["udp_counters"], 3, 4), (r["l2_counters"], 2, 3)):
        assert counters["tx_errors"] == errors
        assert counters["tx_timestamps"] == stamps
        assert counters["tx_timestamp_unmatched"] == counters["tx_timestamp_timeouts"] == 0
