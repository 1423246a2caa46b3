# SPDX-License-Identifier: GPL-2.0-or-later
"""Link plumbing through pyroute2: veths, the bridge, addresses, routes.

Every veth is created directly between two lab namespaces (the peer end is
placed with IFLA_NET_NS_FD), so no lab link ever exists in the root
namespace, not even for a moment, and a crashed build leaves nothing there.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from pyroute2 import IPRoute

from . import naming, nsutil

IFA_F_NODAD = 0x02


def open_ns(netns: str) -> Any:
    """An IPRoute socket living in ``netns``."""
    return IPRoute(netns=netns)


def _index(ipr: Any, ifname: str) -> int:
    found = ipr.link_lookup(ifname=ifname)
    if not found:
        raise LookupError(f"no interface {ifname}")
    return int(found[0])


def prepare_ns(netns: str, *, ipv6: bool = True) -> None:
    """Sysctls that must be set before links appear: no DAD, no RS noise."""
    if ipv6:
        for scope in ("all", "default"):
            nsutil.write_sysctl(netns, f"net.ipv6.conf.{scope}.accept_dad", "0")
            nsutil.write_sysctl(netns, f"net.ipv6.conf.{scope}.dad_transmits", "0")
            nsutil.write_sysctl(netns, f"net.ipv6.conf.{scope}.router_solicitations", "0")
    else:
        # The switch stays silent on the wire: no link-local chatter in captures.
        nsutil.write_sysctl(netns, "net.ipv6.conf.all.disable_ipv6", "1")
        nsutil.write_sysctl(netns, "net.ipv6.conf.default.disable_ipv6", "1")
    with open_ns(netns) as ipr:
        ipr.link("set", index=_index(ipr, "lo"), state="up")


def add_veth(netns: str, ifname: str, peer_netns: str, peer_ifname: str) -> None:
    """Create a veth in ``netns`` whose other end lands in ``peer_netns``."""
    fd = os.open(nsutil.NETNS_DIR / peer_netns, os.O_RDONLY)
    try:
        with open_ns(netns) as ipr:
            ipr.link("add", ifname=ifname, kind="veth",
                     peer={"ifname": peer_ifname, "net_ns_fd": fd})
    finally:
        os.close(fd)


PDELAY_GROUP_FWD_BIT = 1 << 0x0E


def add_bridge(netns: str, ifname: str = naming.BRIDGE_IFNAME) -> None:
    """A bridge that floods multicast to every port (snooping off) at once
    (no STP, forward delay 0), so PTP multicast reaches every host.

    A Linux bridge keeps the IEEE 802.1 reserved groups 01:80:C2:00:00:0X to
    itself unless group_fwd_mask lets them through; bit 14 (0x0E) is the
    peer-delay group L2 PTP uses, so P2P over L2 crosses the lab bridge.
    """
    with open_ns(netns) as ipr:
        ipr.link("add", ifname=ifname, kind="bridge", br_mcast_snooping=0,
                 br_stp_state=0, br_forward_delay=0, br_group_fwd_mask=PDELAY_GROUP_FWD_BIT)
        ipr.link("set", index=_index(ipr, ifname), state="up")


def enslave(netns: str, port: str, bridge: str = naming.BRIDGE_IFNAME) -> None:
    with open_ns(netns) as ipr:
        ipr.link("set", index=_index(ipr, port), master=_index(ipr, bridge), state="up")


def release(netns: str, port: str) -> None:
    """Take a port off its bridge (it stays up)."""
    with open_ns(netns) as ipr:
        ipr.link("set", index=_index(ipr, port), master=0)


def link_up(netns: str, ifname: str) -> None:
    with open_ns(netns) as ipr:
        ipr.link("set", index=_index(ipr, ifname), state="up")


def configure_host(netns: str, ifname: str, ipv4: str, ipv6: str) -> None:
    """Addresses (IPv6 without DAD), link up, multicast routed via the lab link."""
    with open_ns(netns) as ipr:
        idx = _index(ipr, ifname)
        ipr.addr("add", index=idx, address=ipv4, prefixlen=naming.IPV4_NET.prefixlen)
        ipr.addr("add", index=idx, address=ipv6, prefixlen=naming.IPV6_NET.prefixlen,
                 flags=IFA_F_NODAD)
        ipr.link("set", index=idx, state="up")
        ipr.route("add", dst="224.0.0.0/4", oif=idx)
        ipr.route("add", dst="ff00::/8", oif=idx, family=socket.AF_INET6)


def links(netns: str) -> list[dict[str, Any]]:
    """Name, kind and master of every link in ``netns`` (for status)."""
    out: list[dict[str, Any]] = []
    with open_ns(netns) as ipr:
        for msg in ipr.get_links():
            info = msg.get_attr("IFLA_LINKINFO")
            kind = info.get_attr("IFLA_INFO_KIND") if info is not None else None
            out.append({"ifname": msg.get_attr("IFLA_IFNAME"), "kind": kind,
                        "index": msg["index"], "master": msg.get_attr("IFLA_MASTER")})
    return out


def root_links() -> list[dict[str, Any]]:
    """Links in the root namespace (to prove none of ours is there)."""
    out: list[dict[str, Any]] = []
    with IPRoute() as ipr:
        for msg in ipr.get_links():
            info = msg.get_attr("IFLA_LINKINFO")
            kind = info.get_attr("IFLA_INFO_KIND") if info is not None else None
            out.append({"ifname": msg.get_attr("IFLA_IFNAME"), "kind": kind})
    return out


def bridge_options(netns: str, ifname: str = naming.BRIDGE_IFNAME) -> dict[str, Any]:
    """The bridge's IFLA_BR_* settings, e.g. ``{"IFLA_BR_MCAST_SNOOPING": 0, ...}``."""
    with open_ns(netns) as ipr:
        (msg,) = ipr.get_links(_index(ipr, ifname))
        data = msg.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA")
        return {name: value for name, value in data["attrs"]}


def delete_link(netns: str, ifname: str) -> None:
    """Delete a link (a veth takes its peer with it)."""
    with open_ns(netns) as ipr:
        ipr.link("del", index=_index(ipr, ifname))
