# SPDX-License-Identifier: GPL-2.0-or-later
"""Topology files: shipped ones load, bad ones are refused with the key named."""

from __future__ import annotations

import pytest

from nslab import topology


def test_shipped_topologies() -> None:
    assert set(topology.available()) >= {"pair", "star", "two-gm"}
    assert topology.pair().hosts == ("h1", "h2") and topology.pair().link == "veth"
    assert topology.star(4).hosts == ("h1", "h2", "h3", "h4")
    gm = topology.two_gm(3)
    assert gm.link == "bridge" and gm.hosts == ("gm1", "gm2", "c1", "c2", "c3")


def test_bad_topologies() -> None:
    with pytest.raises(ValueError, match="fixed size"):
        topology.load("pair", hosts=3)
    with pytest.raises(ValueError, match="unknown topology"):
        topology.load("nonesuch")
    with pytest.raises(ValueError, match="pattern"):
        topology.from_dict("t", {"link": "bridge", "group": [{"pattern": "h", "count": 2}]})
    with pytest.raises(ValueError, match="exactly 2"):
        topology.from_dict("t", {"link": "veth", "group": [{"pattern": "h{i}", "count": 3}]})
