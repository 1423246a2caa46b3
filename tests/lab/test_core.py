# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab itself: namespaces, addresses, multicast, process tracking, teardown."""

from __future__ import annotations

import socket
import struct
import time

import pytest

import nslab
from nslab import netlink, nsutil, procs

pytestmark = [pytest.mark.netns]


def test_star_layout(lab_star: nslab.Lab) -> None:
    assert lab_star.switch_netns is not None
    for h in lab_star.host_list:
        assert nsutil.exists(h.netns) and h.netns.startswith("pblab-")
        addrs = h.run(["ip", "-o", "addr", "show", "dev", h.ifname], check=True).stdout
        assert f"{h.ipv4}/24" in addrs and f"{h.ipv6}/64" in addrs
        assert "tentative" not in addrs
    ports = {l["ifname"]: l for l in netlink.links(lab_star.switch_netns)}
    bridge = ports["br0"]
    for h in lab_star.host_list:
        assert ports[h.name]["master"] == bridge["index"]
    opts = netlink.bridge_options(lab_star.switch_netns)
    assert opts["IFLA_BR_MCAST_SNOOPING"] == 0
    assert opts["IFLA_BR_STP_STATE"] == 0


def test_unicast_and_multicast_reach_every_host(lab_star: nslab.Lab) -> None:
    h1, *others = lab_star.host_list
    group = "224.0.1.129"
    receivers = []
    for h in others:
        s = h.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 31900))
        mreq = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(h.ipv4))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        s.settimeout(5)
        receivers.append(s)
    tx = h1.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.sendto(b"mcast", (group, 31900))
    for s in receivers:
        data, src = s.recvfrom(64)
        assert (data, src[0]) == (b"mcast", h1.ipv4)
        s.close()
    # IPv6 unicast across the bridge, checked from a subprocess in the host
    rx6 = others[0].socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx6.bind((others[0].ipv6, 31901))
    rx6.settimeout(5)
    code = ("import socket,sys; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);"
            "s.sendto(b'v6', (sys.argv[1], 31901))")
    h1.python(code, others[0].ipv6, check=True)
    data, src = rx6.recvfrom(64)
    assert (data, src[0]) == (b"v6", h1.ipv6)


def test_call_runs_inside_namespace(lab_pair: nslab.Lab) -> None:
    def names() -> list[str]:
        return sorted(n for _, n in socket.if_nameindex())
    assert lab_pair["h1"].call(names) == ["lo", "veth0"]
    assert lab_pair["h2"].in_thread(names) == ["lo", "veth0"]


def test_popen_is_tracked_and_stopped(make_lab: object) -> None:
    lab = make_lab("pair")  # type: ignore[operator]
    h1 = lab["h1"]
    proc = h1.popen(["sleep", "60"])
    deadline = time.monotonic() + 10
    while proc.pid not in nsutil.pids_in(h1.netns):  # `ip netns exec` enters, then execs
        assert time.monotonic() < deadline, "process never appeared in the namespace"
        time.sleep(0.01)
    assert proc.pid in [p for p, _ in procs.recorded(lab.pid_dir)]
    lab.down()
    assert proc.poll() is not None
    assert not any(nsutil.exists(ns) for ns in lab.namespaces)
    assert not lab.state_dir.exists()
