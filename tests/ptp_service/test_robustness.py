# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input is counted and dropped, a dead link is survived: the grandmaster keeps serving.

Datagrams come from another lab host, over multicast (the port's
endpoints) and unicast (in hybrid mode, the unicast fast path, which hands
anything it does not answer to the core); frames over L2 likewise. The
link test takes the grandmaster's interface down under it: sends fail
(counted, TX timestamps given up), and once the link is back the same
process sends Sync again.
"""

from __future__ import annotations

import socket
import struct
import time

import pytest

import nslab
from nslab.pytest_plugin import MakeLab
from ptpbridge.wire.ptp.constants import ETHERTYPE_PTP, EVENT_PORT, GENERAL_PORT, IPV4_PRIMARY, MAC_PRIMARY, Flag
from ptpbridge.wire.ptp.constants import MessageType as Mt
from ptpbridge.wire.ptp.fast import AnnounceMsg, DelayReqMsg, encode, header_for
from ptpbridge.wire.ptp.values import ClockIdentity, PortIdentity

from .helpers import grandmaster, wait_until

pytestmark = [pytest.mark.netns]

STRANGER = PortIdentity(ClockIdentity.parse("02ee00.fffe.0000ee"), 1)


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("pair")


def bad_datagrams() -> dict[str, tuple[bytes, int]]:
    """name -> (payload, how many of them the core must drop as that reason)."""
    delay_req = encode(DelayReqMsg.make(header_for(Mt.DELAY_REQ, source_port_identity=STRANGER,
                                                   flags=int(Flag.UNICAST))))
    wrong_version = bytearray(delay_req)
    wrong_version[1] = (wrong_version[1] & 0xF0) | 1
    wrong_domain = encode(AnnounceMsg.make(header_for(Mt.ANNOUNCE, domain=7, source_port_identity=STRANGER)))
    wrong_domain_req = encode(DelayReqMsg.make(header_for(Mt.DELAY_REQ, domain=9, source_port_identity=STRANGER)))
    truncated = delay_req[:40]
    lying_length = bytearray(delay_req)
    lying_length[2:4] = struct.pack(">H", 200)  # messageLength beyond the datagram
    return {"malformed": (b"\x00" * 12, 1), "wrong version": (bytes(wrong_version), 1),
            "wrong domain": (wrong_domain, 1), "wrong domain ": (wrong_domain_req, 1),
            "malformed ": (truncated, 1), "malformed  ": (bytes(lying_length), 1)}


def expected_drops() -> dict[str, int]:
    totals: dict[str, int] = {}
    for name, (_, count) in bad_datagrams().items():
        totals[name.strip()] = totals.get(name.strip(), 0) + count
    return totals


@pytest.mark.parametrize("hybrid", [False, True])
def test_bad_udp_datagrams_are_counted_and_dropped(lab: nslab.Lab, hybrid: bool) -> None:
    h1, h2 = lab["h1"], lab["h2"]
    with grandmaster(h1, hybrid=hybrid, name=f"gm-hybrid-{hybrid}") as gm:
        gm.wait_for_port_state("MASTER", timeout=20)
        before = gm.ptp()["ports"][0]
        sock = h2.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(h2.ipv4))
        try:
            for destination in (IPV4_PRIMARY, h1.ipv4):  # the endpoints, then the unicast path
                for payload, _ in bad_datagrams().values():
                    for port in (EVENT_PORT, GENERAL_PORT):
                        sock.sendto(payload, (destination, port))
        finally:
            sock.close()
        want = {reason: 4 * n for reason, n in expected_drops().items()}
        after = wait_until("every bad datagram counted",
                           lambda: p if (p := gm.ptp()["ports"][0])["dropped"] == want else None, timeout=10)
        # Still serving: Sync goes on, nothing failed.
        syncs = after["sent"]["SYNC"]
        wait_until("more Syncs", lambda: True if gm.ptp()["ports"][0]["sent"]["SYNC"] > syncs + 4 else None)
        final = gm.ptp()
    assert final["ports"][0]["state"] == "MASTER"
    assert final["ports"][0]["io"]["callback_errors"] == 0 and final["timer_errors"] == 0
    assert before["dropped"] == {}
    fast = final["ports"][0]["unicast_fast_path"]
    if hybrid:
        assert fast["to_core"] == 2 * len(bad_datagrams()) and fast["answered"] == 0
    else:
        assert fast is None


def test_bad_l2_frames_are_counted_and_dropped(lab: nslab.Lab) -> None:
    h1, h2 = lab["h1"], lab["h2"]
    with grandmaster(h1, transport="l2", name="gm-l2") as gm:
        gm.wait_for_port_state("MASTER", timeout=20)
        sock = h2.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETHERTYPE_PTP))
        try:
            dest = bytes.fromhex(MAC_PRIMARY.replace(":", ""))
            for payload, _ in bad_datagrams().values():
                sock.sendto(payload, (h2.ifname, ETHERTYPE_PTP, 0, 0, dest))
        finally:
            sock.close()
        dropped = wait_until("every bad frame counted",
                             lambda: d if (d := gm.ptp()["ports"][0]["dropped"]) == expected_drops() else None,
                             timeout=10)
        assert gm.ptp()["ports"][0]["state"] == "MASTER"
    assert dropped == expected_drops()


def test_link_down_and_up_is_survived(lab: nslab.Lab) -> None:
    h1 = lab["h1"]
    with grandmaster(h1, name="gm-link") as gm:
        gm.wait_for_port_state("MASTER", timeout=20)
        h1.run(["ip", "link", "set", h1.ifname, "down"], check=True)
        try:
            time.sleep(1.0)
            down = gm.ptp()["ports"][0]
        finally:
            h1.run(["ip", "link", "set", h1.ifname, "up"], check=True)
            # Taking the link down flushed the lab's multicast route; put it back as the lab made it.
            h1.run(["ip", "route", "replace", "224.0.0.0/4", "dev", h1.ifname], check=True)
        sent_then = down["io"]["tx_packets"]
        up = wait_until("Syncs sent again",
                        lambda: p if (p := gm.ptp()["ports"][0])["io"]["tx_packets"] > sent_then + 8 else None)
        assert gm.running()
    assert down["io"]["tx_errors"] > 0 and down["tx_timestamp_timeouts"] > 0
    assert up["state"] == "MASTER" and up["io"]["tx_timestamps"] > down["io"]["tx_timestamps"]
