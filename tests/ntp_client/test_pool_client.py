# SPDX-License-Identifier: GPL-2.0-or-later
"""Pool expansion and pruning, reply routing and deadlines of the client core."""

from __future__ import annotations

import pytest

from ptpbridge.core.ntp_client import NtpClientCore, SourceKind, SourceState

from ._sim import EPOCH_UTC, S, SimServer, exchange, mono


def test_pool_takes_new_addresses_up_to_its_size() -> None:
    core = NtpClientCore()
    core.add_server("198.18.0.1")
    pool = core.add_pool("pool.lab", ["198.18.0.1", "198.18.0.2", "::ffff:198.18.0.2", "fd70:6274::3",
                                      "198.18.0.4", "198.18.0.5"], max_sources=3)
    # .1 is already a server; the IPv4-mapped form of .2 is .2 again.
    assert [s.address for s in pool.sources] == ["198.18.0.2", "fd70:6274::3", "198.18.0.4"]
    assert pool.wanted == 0
    assert all(s.kind is SourceKind.POOL and s.name == "pool.lab" for s in pool.sources)
    assert len(core.sources) == 4
    with pytest.raises(ValueError):
        core.add_pool("pool.lab", [])
    with pytest.raises(ValueError):
        core.add_server("198.18.0.4")


def test_pool_prunes_dead_and_denied_sources_and_refills() -> None:
    core = NtpClientCore()
    pool = core.add_pool("p", ["198.18.0.1", "198.18.0.2", "198.18.0.3"], max_sources=3, minpoll=0, maxpoll=0)
    good, dead, denying = pool.sources
    server = SimServer()
    now = EPOCH_UTC
    for i in range(8):
        now = EPOCH_UTC + i * S
        for src in core.due(mono(now)):
            if src is good:
                exchange(src, server, now)
            elif src is denying and i == 2:
                exchange(src, server, now, stratum=0, reference_id=b"DENY")
            else:
                src.make_request(mono(now), now)
    # After 8 polls: dead never answered a whole register; denying is stopped.
    assert core.prune_pools() == ["p"]
    assert pool.sources == [good] and pool.wanted == 2
    added = core.refill_pool("p", ["198.18.0.1", "198.18.0.7", "198.18.0.8", "198.18.0.9"], mono(now))
    assert [s.address for s in added] == ["198.18.0.7", "198.18.0.8"]
    assert core.next_deadline() == mono(now)  # the new sources are due at once


def test_replies_are_routed_by_address() -> None:
    core = NtpClientCore()
    a = core.add_server("198.18.0.1")
    b = core.add_server("fd70:6274::2", port=1123)
    assert core.source_for("::ffff:198.18.0.1") is a
    assert core.source_for("fd70:6274:0::2") is b and b.port == 1123
    assert core.source_for("198.18.0.9") is None and core.source_for("not an address") is None


def test_deadlines_and_due_sources() -> None:
    core = NtpClientCore()
    a = core.add_server("198.18.0.1", minpoll=2, maxpoll=2, start_mono_ns=5 * S)
    b = core.add_server("198.18.0.2", minpoll=3, maxpoll=3, start_mono_ns=1 * S)
    assert core.next_deadline() == 1 * S
    assert core.due(1 * S) == [b]
    b.make_request(1 * S, EPOCH_UTC + S)
    assert core.next_deadline() == 5 * S and core.due(5 * S) == [a]
    assert core.due(9 * S) == [a, b]


def test_status_before_any_selection() -> None:
    core = NtpClientCore()
    core.add_server("198.18.0.1", name="ntp1.lab")
    (row,) = core.status(0)
    assert (row.name, row.state, row.reason, row.reach_octal) == ("ntp1.lab", SourceState.UNUSABLE,
                                                                  "not evaluated yet", "0")
    assert row.offset_ns is None and row.requests == 0


def test_bad_configuration_is_refused() -> None:
    core = NtpClientCore()
    with pytest.raises(ValueError):
        core.add_server("198.18.0.1", minpoll=7, maxpoll=6)
    with pytest.raises(ValueError):
        core.add_server("198.18.0.1", minpoll=-7)
    with pytest.raises(ValueError):
        core.add_server("198.18.0.1", version=5)
    with pytest.raises(ValueError):
        core.add_server("ntp.example")  # names are resolved by the caller
    with pytest.raises(ValueError):
        core.add_pool("p", [], max_sources=0)
