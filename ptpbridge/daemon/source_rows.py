# SPDX-License-Identifier: GPL-2.0-or-later
"""One `ptpbridge sources` row for a reference that is not an NTP server (ptp, system, gnss, local).

NTP rows come from the client core and carry the server's offset as chronyc
shows it: the server minus our clock. The other references measure the
servo's way round, our clock minus the reference (a PTP slave's offset from
master, the PHC's error at a GNSS pulse, the served clock minus
CLOCK_REALTIME). This module is the one place that turns the one into the
other, so every row of the table reads the same way.
"""

from __future__ import annotations

from typing import Any

from ptpbridge.core.ntp_client.status import SourceState

# The states a non-NTP reference can be in, named and marked as the NTP rows are.
_STATE_BY_SYMBOL = {s.symbol: s.label for s in (SourceState.SELECTED, SourceState.CANDIDATE)}


def shown_offset_ns(servo_offset_ns: int | None) -> int | None:
    """The servo's offset (our clock minus the reference) as `sources` shows it: negated."""
    return None if servo_offset_ns is None else -servo_offset_ns


def reference_row(*, kind: str, name: str, priority: int, symbol: str, address: str | None = None,
                  state: str | None = None, poll: int | None, stratum: int | None,
                  servo_offset_ns: int | None, last_rx_age_ns: int | None, samples: int) -> dict[str, Any]:
    """The row; ``state`` defaults to what ``symbol`` says (``*`` selected, ``+`` candidate, else unusable)."""
    offset = shown_offset_ns(servo_offset_ns)
    return {"kind": kind, "name": name, "address": address, "reference": name, "priority": priority,
            "state": state if state is not None else _STATE_BY_SYMBOL.get(symbol, SourceState.UNUSABLE.label),
            "symbol": symbol, "reason": None, "reach": None, "poll": poll, "stratum": stratum,
            "offset_ns": offset, "last_offset_ns": offset, "delay_ns": None, "jitter_ns": None,
            "last_rx_age_ns": last_rx_age_ns, "samples": samples}
