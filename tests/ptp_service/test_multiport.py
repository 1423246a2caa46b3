# SPDX-License-Identifier: GPL-2.0-or-later
"""Several interfaces are several ports of one clock: one grandmaster on two segments.

Two pair labs; the second lab's h1 interface is moved into the first lab's
h1 (renamed veth1, its own subnet), so our daemon in that host serves two
segments, each with a ptp4l slave. Both slaves must select the same
grandmaster (our one clock identity) through different ports, and the
status must show one port per interface, each MASTER on its own interface.
"""

from __future__ import annotations

from typing import Any

from pyroute2 import NetNS

import nslab
from nslab.host import Host
from nslab.peers import Ptp4l, Ptp4lConfig, pmc
from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config
from tests.ptp_service.helpers import LOG_SYNC, wait_until


SECOND_IF = "veth1"
SECOND_NET_GM = "198.19.0.1"
SECOND_NET_SLAVE = "198.19.0.2"


class TwoPortGm(PtpbridgeGm):
    """Our grandmaster on the host's own interface and on the one moved in from the other lab."""

    def argv(self) -> list[str]:
        return [*super().argv(), "--interface", SECOND_IF]

def move_interface(src: Host, dst: Host) -> None:
    """Move src's veth0 into dst's namespace as veth1, re-addressed in 198.19.0.0/24."""
    with NetNS(src.netns) as ns:
        index = ns.link_lookup(ifname=src.ifname)[0]
        ns.link("set", index=index, state="down")
        ns.link("set", index=index, net_ns_fd=dst.netns, ifname=SECOND_IF)
    with NetNS(dst.netns) as ns:
        index = ns.link_lookup(ifname=SECOND_IF)[0]
        ns.addr("add", index=index, address=SECOND_NET_GM, prefixlen=24)
        ns.link("set", index=index, state="up")

def readdress(host: Host) -> None:
    """The other lab's slave host moves to 198.19.0.0/24 too, so the two segments differ."""
    with NetNS(host.netns) as ns:
        index = ns.link_lookup(ifname=host.ifname)[0]
        ns.addr("del", index=index, address=host.ipv4, prefixlen=24)
        ns.addr("add", index=index, address=SECOND_NET_SLAVE, prefixlen=24)

def test_one_clock_two_ports_two_slaves(make_lab: Any) -> None:
    first: nslab.Lab = make_lab("pair")
    second: nslab.Lab = make_lab("pair")
    gm_host, slave_a_host = first["h1"], first["h2"]
    slave_b_host = second["h2"]
    move_interface(second["h1"], gm_host)
    readdress(slave_b_host)

    gm = TwoPortGm(gm_host, ptp_config(log_sync_interval=LOG_SYNC), name="ptpbridge")
    gm.start()
    slaves = [Ptp4l(h, Ptp4lConfig(role="slave", guarded=True), name=f"slave-{i}")
              for i, h in enumerate((slave_a_host, slave_b_host))]
    try:
        for slave in slaves:
            slave.start()
        for slave in slaves:
            slave.wait_for_state("SLAVE", timeout=40)

        ports = gm.ptp()["ports"]
        assert [p["interface"] for p in ports] == ["veth0", SECOND_IF]
        assert [p["state"] for p in ports] == ["MASTER", "MASTER"]
        identities = {p["port_identity"].split("-")[0] for p in ports}
        assert len(identities) == 1, ports  # one clock, ports 1 and 2

        grandmasters = set()
        for slave in slaves:
            reply = pmc(slave.host, ["GET PARENT_DATA_SET"], uds=slave.uds_path)
            grandmasters.add(reply[0]["grandmasterIdentity"])
        assert len(grandmasters) == 1, grandmasters
        # Each segment's slave follows a different port of that one clock.
        parents = set()
        for slave in slaves:
            reply = pmc(slave.host, ["GET PARENT_DATA_SET"], uds=slave.uds_path)
            parents.add(reply[0]["parentPortIdentity"])
        assert len(parents) == 2, parents

        # Each port times its own segment: Syncs out and its slave's Delay_Reqs in, on both.
        wait_until("Syncs sent and Delay_Reqs answered on both ports",
                   lambda: True if all(p["sent"].get("SYNC", 0) > 20 and p["sent"].get("DELAY_RESP", 0) > 5
                                       for p in gm.ptp()["ports"]) else None,
                   timeout=20)
    finally:
        for slave in slaves:
            slave.stop()
        gm.stop()
