# SPDX-License-Identifier: GPL-2.0-or-later
"""Failover and fail-back between references with real peers: a ptp4l grandmaster (priority 1)
and a chronyd server (priority 2). Losing PTP hands over to NTP at once without announcing
holdover; PTP's return takes over again only after the fail-back delay; no step either way."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ptpbridge.bench.refs_lab import PtpbridgeRefs

pytestmark = [pytest.mark.netns, pytest.mark.peers]

FAILBACK_S = 5.0


def config(ntp_server: str) -> str:
    return f"""
[clock.sim]
time_error_ns = 1000000
frequency_error_ppb = 20000

[[reference]]
type = "ptp"
priority = 1

[[reference]]
type = "ntp"
server = "{ntp_server}"
iburst = true
minpoll = 0
maxpoll = 0
priority = 2

[selection]
failback_delay_s = {FAILBACK_S}

[ptp]
transport = "udpv4"
priority1 = 255
priority2 = 255
log_announce_interval = -3
log_sync_interval = -3
log_min_delay_req_interval = -3
announce_receipt_timeout = 3
"""


def _watch(ours: PtpbridgeRefs, until: str, timeout: float) -> list[dict[str, Any]]:
    """Tracking every 0.2 s until `until` is selected; every reading kept."""
    seen: list[dict[str, Any]] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        t = ours.tracking()
        t["t"] = time.monotonic()
        seen.append(t)
        if t["selected"] == until and t["state"] == "locked":
            return seen
        time.sleep(0.2)
    raise AssertionError(f"{until} not selected within {timeout} s; last {seen[-1]}")


def test_ptp_fails_over_to_ntp_and_back(make_lab: Any) -> None:
    from nslab.peers import Chronyd, Ptp4l, Ptp4lConfig

    lab = make_lab("star", hosts=3)
    h1, h2, h3 = lab.host_list
    ntp = Chronyd.server(h2, stratum=1, name="ntp")
    gm = Ptp4l(h1, Ptp4lConfig(role="master"), name="gm-a")
    ours = PtpbridgeRefs(h3, config(h2.ipv4), name="ours")
    gm2 = None
    try:
        ntp.start()
        ntp.wait_ready()
        gm.start()
        ours.start()
        _watch(ours, "ptp", 60)
        ours.wait_for("the ntp reference healthy too", lambda: True if all(
            r["healthy"] for r in ours.section()["references"]) else None, 30)
        time.sleep(2)
        before = ours.tracking()
        gm.stop()
        lost = time.monotonic()
        failover = _watch(ours, "ntp", 20)
        time.sleep(3)
        gm2 = Ptp4l(h1, Ptp4lConfig(role="master"), name="gm-b").start()
        back = _watch(ours, "ptp", 60)
        after = ours.tracking()
        rows = {r["kind"]: r["symbol"] for r in ours.sources()}
    finally:
        ours.stop()
        if gm2 is not None:
            gm2.stop()
        gm.stop()
        ntp.stop()
    print(f"\nfailover after {failover[-1]['t'] - lost:.1f} s, fail-back after PTP returned: "
          f"{back[-1]['t'] - back[0]['t']:.1f} s; transitions:")
    for e in after["transitions"]:
        print("  ", e["what"])
    assert failover[-1]["t"] - lost < 10
    # Between two good references the clock never announced holdover.
    assert {t["state"] for t in failover + back} == {"locked"}
    # With a ptp reference the class stays slave-capable ([ptp] clock_class 255 here is not
    # configured, so 248) or our port would go PASSIVE and PTP could never come back.
    assert {t["clock_class"] for t in failover + back} == {248}
    # PTP had to stay healthy for the fail-back delay first; then exactly one switch back.
    assert back[-1]["t"] - back[0]["t"] >= FAILBACK_S
    assert after["switches"] - before["switches"] == 2
    assert after["steps"] == before["steps"]  # slewed, never stepped
    errors = [abs(int(t["true_time_error_ns"])) for t in failover + back]
    assert max(errors) < 1_000_000
    assert rows["ptp"] == "*" and rows["server"] == "+"
