# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures for the phc tests: a veth pair in a namespace of our own."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator

import pytest
from phc_testlib import NETNS_PREFIX, VethNamespace, remove_stale_namespaces


@pytest.fixture
def veth_ns() -> Iterator[VethNamespace]:
    """A fresh namespace `pb-phc-<random>` holding an up veth pair; always removed."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    from pyroute2 import NetNS, netns

    remove_stale_namespaces()
    name = NETNS_PREFIX + secrets.token_hex(4)
    ns = VethNamespace(name=name, ifname="pbv0", peer="pbv1")
    netns.create(name)
    try:
        with NetNS(name) as ipr:
            ipr.link("add", ifname=ns.ifname, kind="veth", peer={"ifname": ns.peer})
            for ifname in ("lo", ns.ifname, ns.peer):
                ipr.link("set", index=ipr.link_lookup(ifname=ifname)[0], state="up")
        yield ns
    finally:
        netns.remove(name)
