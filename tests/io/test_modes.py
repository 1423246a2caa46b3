# SPDX-License-Identifier: GPL-2.0-or-later
"""Timestamping mode selection on veth, which only has software timestamping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Scenario = Callable[..., dict[str, Any]]  # the `scenario` fixture of conftest.py

pytestmark = pytest.mark.netns


def test_hardware_fails_clearly_and_auto_falls_back(scenario: Scenario) -> None:
    r = scenario("modes")

    for kind in ("udp", "l2"):
        hw = r[f"{kind}_hardware"]
        assert hw["opened"] is False, f"{kind}: hardware mode opened on veth"
        assert hw["interface"] == "veth0"
        assert hw["error"].startswith("veth0: hardware timestamping: no hardware timestamping")

    assert r["auto"]["mode"] == "software"
    assert "no hardware timestamping" in r["auto"]["reason"]
    assert r["software"] == {"mode": "software", "reason": "requested"}
    assert r["missing_interface"] == "nonexistent0: open UDP/ipv4 port 31904: no such interface"
