# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-endpoint I/O counters: what a status page and a test read to see loss."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class IoCounters:
    """Plain counters, only ever incremented by the endpoint that owns them.

    A missing TX timestamp is a lost measurement, never a hang, so it shows up
    here (``tx_timestamp_timeouts``) instead of as an exception.
    """

    rx_packets: int = 0
    rx_no_timestamp: int = 0
    rx_truncated: int = 0
    rx_queue_drops: int = 0
    tx_packets: int = 0
    tx_errors: int = 0
    tx_timestamps: int = 0
    tx_timestamp_timeouts: int = 0
    tx_timestamp_unmatched: int = 0
    errqueue_other: int = 0
    rx_errors: int = 0
    callback_errors: int = 0

    @property
    def errors(self) -> int:
        """All errors together, for a one-number health check."""
        return self.tx_errors + self.rx_errors + self.callback_errors

    def as_dict(self) -> dict[str, int]:
        """A copy for JSON status output."""
        return asdict(self)
