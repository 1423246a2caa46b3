# SPDX-License-Identifier: GPL-2.0-or-later
"""Wireshark's dissector on our grandmaster's traffic: nothing malformed, the configured rates.

A ptp4l slave follows us during the capture so the delay messages are
there too (hybrid: its unicast Delay_Req answered by the unicast fast
path). Rates are taken from first to last message of each type over a few
seconds: the core schedules each message from the previous deadline, so a
late wake-up shifts one message, not the average.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

import nslab
from nslab.pytest_plugin import MakeLab
from nslab.peers import Capture, Ptp4l, Ptp4lConfig

from .helpers import grandmaster, wait_until

pytestmark = [pytest.mark.netns, pytest.mark.peers]

LOG_ANNOUNCE = -2
CAPTURE_S = 4.0
PI_ERROR = 0x00800000  # Wireshark expert severity "error"
SYNC, FOLLOW_UP, DELAY_RESP, ANNOUNCE, PDELAY_RESP = 0x0, 0x8, 0x9, 0xB, 0x3
UDP = "udp port 319 or udp port 320"
CASES: dict[str, tuple[str, str, int, dict[str, Any], dict[str, str], str]] = {
    # transport, delay mechanism, logSyncInterval, our extra [ptp] keys, the slave's extra options, filter
    "UDPv4-E2E-hybrid": ("UDPv4", "E2E", -3, {"hybrid": True}, {"hybrid_e2e": "1"}, UDP),
    "UDPv6-E2E-hybrid": ("UDPv6", "E2E", -3, {"hybrid": True}, {"hybrid_e2e": "1"}, UDP),
    "L2-P2P": ("L2", "P2P", -3, {}, {}, "ether proto 0x88f7"),
    "UDPv4-E2E-128-per-s": ("UDPv4", "E2E", -7, {}, {}, UDP),
}


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("pair")


def _source_field(transport: str) -> str:
    return {"UDPv4": "ip.src", "UDPv6": "ipv6.src", "L2": "eth.src"}[transport]


@pytest.mark.parametrize("case", list(CASES))
def test_capture_is_clean_and_on_rate(lab: nslab.Lab, case: str) -> None:
    transport, delay, log_sync, ours, theirs, capture_filter = CASES[case]
    h1, h2 = lab["h1"], lab["h2"]
    config = Ptp4lConfig(role="slave", transport=transport, delay_mechanism=delay, log_sync_interval=log_sync,
                         log_announce_interval=LOG_ANNOUNCE, extra=theirs)
    request = "DELAY_REQ" if delay == "E2E" else "PDELAY_REQ"
    with grandmaster(h1, transport=transport.lower(), delay_mechanism=delay.lower(), log_sync_interval=log_sync,
                     log_announce_interval=LOG_ANNOUNCE, **ours) as gm:
        with Ptp4l(h2, config, name=f"slave-{case}") as slave:
            slave.wait_for_state("UNCALIBRATED", timeout=30)
            wait_until("the slave's delay requests",
                       lambda: True if gm.ptp()["ports"][0]["received"].get(request) else None)
            capture = Capture(h2, capture_filter, name=f"capture-{case}").start()
            try:
                time.sleep(CAPTURE_S)
            finally:
                capture.stop()
            ptp = gm.ptp()
    our_address = {"UDPv4": h1.ipv4, "UDPv6": h1.ipv6, "L2": None}[transport]
    rows = capture.read(["frame.time_epoch", _source_field(transport), "ptp.v2.messagetype",
                         "ptp.v2.sequenceid", "ptp.v2.flags.unicast", "_ws.malformed", "_ws.expert.severity"],
                        display_filter="ptp")
    assert rows, "nothing captured"
    for row in rows:
        assert row[5] == "", f"malformed: {row}"
        severity = row[6]
        assert not severity or int(severity, 0) < PI_ERROR, f"expert error: {row}"
    mine = [r for r in rows if (r[1] == our_address if our_address else r[1] != slave_mac(h2))]
    by_type: dict[int, list[float]] = {}
    for r in mine:
        by_type.setdefault(int(r[2], 0), []).append(float(r[0]))
    for message_type, log_interval in ((SYNC, log_sync), (FOLLOW_UP, log_sync), (ANNOUNCE, LOG_ANNOUNCE)):
        times = by_type.get(message_type, [])
        assert len(times) >= 3, (message_type, by_type.keys())
        rate = (len(times) - 1) / (times[-1] - times[0])
        nominal = 2.0 ** -log_interval
        assert abs(rate - nominal) <= 0.1 * nominal, (message_type, rate, nominal)
    # Every Follow_Up belongs to a Sync we sent.
    syncs = {r[3] for r in mine if int(r[2], 0) == SYNC}
    follow_ups = [r[3] for r in mine if int(r[2], 0) == FOLLOW_UP]
    assert sum(1 for s in follow_ups if s not in syncs) <= 1  # the capture may start between the two
    answers = DELAY_RESP if delay == "E2E" else PDELAY_RESP
    assert by_type.get(answers), f"no answer to the slave's delay requests: {Counter(r[2] for r in mine)}"
    if ours.get("hybrid"):
        assert all(r[4] == "1" for r in mine if int(r[2], 0) == DELAY_RESP)
        fast = ptp["ports"][0]["unicast_fast_path"]
        assert fast is not None and fast["answered"] > 0
    assert ptp["ports"][0]["dropped"] == {}


def slave_mac(host: nslab.host.Host) -> str:
    return str(host.run(["cat", f"/sys/class/net/{host.ifname}/address"], check=True).stdout.strip())
