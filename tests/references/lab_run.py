# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab tests' common run: upstream chronyd servers, then our daemon, its sources once locked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ptpbridge.bench.refs_lab import PtpbridgeRefs


def locked_sources(ours: PtpbridgeRefs, servers: Sequence[Any], timeout: float = 40.0) -> dict[str, Any]:
    """Start ``servers`` and wait for them, then ``ours`` until locked; its `sources` rows by address.
    Everything started is stopped again, whatever happens."""
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        ours.start()
        ours.wait_for_state("locked", timeout=timeout)
        return {row["address"]: row for row in ours.sources()}
    finally:
        ours.stop()
        for server in servers:
            server.stop()
