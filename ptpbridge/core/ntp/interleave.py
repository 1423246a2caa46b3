# SPDX-License-Identifier: GPL-2.0-or-later
"""Saved receive/transmit timestamp pairs for the interleaved client/server mode (RFC 9769).

In interleaved mode the server answers with the precise transmit timestamp
of its *previous* response, known only after that response left the NIC.
For every response the server keeps its receive timestamp (exactly as
written in the response, the 64-bit wire value) and, once the I/O layer
reports it, the kernel transmit timestamp. The client echoes that receive
timestamp in the origin field of its next request, which is how the server
finds the pair again.

Pairs are keyed by (client address, receive timestamp), like chrony's map
of receive timestamps: several clients behind one address (NAT, or several
sources of one chronyd) each find their own exchange, and a request can
only pick up a timestamp of a response sent to its own address. The table
is one bounded LRU over all exchanges: losing an entry only makes the next
response basic, never wrong.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from ptpbridge.core.ntp.lru import capacity_for

# Rough cost of one exchange: dict slot, (address, int) key tuple, ints.
ENTRY_BYTES_ESTIMATE: Final = 200

_PENDING: Final = None


@dataclass(frozen=True, slots=True)
class InterleaveConfig:
    enabled: bool = True
    # Exchanges remembered (all clients together).
    max_entries: int = 65536
    max_bytes: int | None = None


class InterleaveTable:
    """(client, receive ntp64) -> transmit UTC ns (None until reported), bounded LRU."""

    def __init__(self, config: InterleaveConfig) -> None:
        self.config = config
        self.capacity = capacity_for(config.max_entries, config.max_bytes, ENTRY_BYTES_ESTIMATE)
        self._pairs: OrderedDict[tuple[str, int], int | None] = OrderedDict()
        self.evictions = 0
        self.tx_unmatched = 0

    def __len__(self) -> int:
        return len(self._pairs)

    def transmit_for(self, client: str, origin_ntp64: int) -> int | None:
        """Transmit UTC ns of our response whose receive timestamp the client echoes, if known."""
        return self._pairs.get((client, origin_ntp64))

    def save_receive(self, client: str, rx_ntp64: int) -> None:
        """Remember a response we are about to send; its transmit time comes via record_tx."""
        pairs = self._pairs
        key = (client, rx_ntp64)
        pairs[key] = _PENDING
        pairs.move_to_end(key)
        if len(pairs) > self.capacity:
            pairs.popitem(last=False)
            self.evictions += 1

    def record_tx(self, client: str, rx_ntp64: int, tx_utc_ns: int) -> bool:
        """Attach the kernel transmit timestamp to a saved response; False if it was forgotten."""
        key = (client, rx_ntp64)
        if key not in self._pairs:
            self.tx_unmatched += 1
            return False
        self._pairs[key] = tx_utc_ns
        return True
