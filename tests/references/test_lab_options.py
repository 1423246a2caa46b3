# SPDX-License-Identifier: GPL-2.0-or-later
"""chrony.conf options in a lab: a `server` with a symmetric `key` and a `pool` entry, against
chronyd; both answered, both candidates, the authenticated one counted without drops."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ptpbridge.bench.refs_lab import PtpbridgeRefs

from .lab_run import locked_sources

pytestmark = [pytest.mark.netns, pytest.mark.peers]

SECRET = "HEX:" + "5a" * 32


def test_keyed_server_and_pool(make_lab: Any, tmp_path: Path) -> None:
    from nslab.peers import Chronyd

    lab = make_lab("star", hosts=3)
    h1, h2, h3 = lab.host_list
    keys = tmp_path / "keys"
    keys.write_text(f"1 SHA256 {SECRET}\n", encoding="utf-8")
    keys.chmod(0o600)
    config = f"""
[clock.sim]
time_error_ns = 500000

[[reference]]
type = "ntp"
server = "{h1.ipv4}"
key = 1
key_file = "{keys}"
iburst = true
minpoll = 0
maxpoll = 0

[[reference]]
type = "ntp"
pool = "{h3.ipv4}"
iburst = true
minpoll = 0
maxpoll = 0
"""
    keyed = Chronyd.server(h1, stratum=1, keys={1: ("SHA256", SECRET)}, name="keyed")
    plain = Chronyd.server(h3, stratum=1, name="plain")
    ours = PtpbridgeRefs(h2, config, name="ours")
    rows = locked_sources(ours, [keyed, plain])
    print(rows)
    assert rows[h1.ipv4]["kind"] == "server" and rows[h3.ipv4]["kind"] == "pool"
    assert {rows[h1.ipv4]["symbol"], rows[h3.ipv4]["symbol"]} == {"*", "+"}
    assert rows[h1.ipv4]["replies"] >= 8 and rows[h1.ipv4]["drops"] == {}


def test_a_server_synchronised_to_us_is_refused(make_lab: Any) -> None:
    """h1 chronyd follows us and serves (refid = our address): a timing loop, never a candidate."""
    from nslab.peers import Chronyd
    from nslab.peers.chrony import ChronyConfig

    lab = make_lab("star", hosts=3)
    h1, h2, h3 = lab.host_list
    config = f"""
[clock.sim]
time_error_ns = 0

[[reference]]
type = "ntp"
server = "{h3.ipv4}"
iburst = true
minpoll = 0
maxpoll = 0

[[reference]]
type = "ntp"
server = "{h1.ipv4}"
iburst = true
minpoll = 0
maxpoll = 0

[ntp]
allow = ["198.18.0.0/15"]
"""
    truth = Chronyd.server(h3, stratum=1, name="truth")
    follower = Chronyd(h1, ChronyConfig(servers=[h2.ipv4], allow=["all"], port=123, minpoll=0, maxpoll=0),
                       name="follower")
    ours = PtpbridgeRefs(h2, config, name="ours")
    try:
        truth.start()
        truth.wait_ready()
        ours.start()
        ours.wait_for_state("locked", timeout=40)
        follower.start()

        def looped() -> dict[str, Any] | None:
            row = {r["address"]: r for r in ours.sources()}[h1.ipv4]
            return row if row["stratum"] == 3 and row["replies"] >= 8 else None

        row = ours.wait_for("the follower serving stratum 3", looped, 60)
        time.sleep(2)
        rows = {r["address"]: r for r in ours.sources()}
    finally:
        ours.stop()
        follower.stop()
        truth.stop()
    print(rows[h1.ipv4])
    assert row["stratum"] == 3
    assert rows[h1.ipv4]["symbol"] == "?" and "timing loop" in (rows[h1.ipv4]["reason"] or "")
    assert rows[h3.ipv4]["symbol"] == "*"
