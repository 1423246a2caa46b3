# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-port counters: every datagram handed to a port ends in exactly one of received[type] or dropped[reason]."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ptpbridge.wire.ptp.constants import MessageType


class DropReason(enum.Enum):
    MALFORMED = "malformed"
    WRONG_VERSION = "wrong version"
    WRONG_DOMAIN = "wrong domain"
    WRONG_SDO = "wrong majorSdoId"
    OWN_MESSAGE = "own message"  # looped back, or from another port of this clock
    PORT_NOT_READY = "port initializing, faulty or disabled"
    NO_RX_TIMESTAMP = "event message without receive timestamp"
    WRONG_DELAY_MECHANISM = "peer delay message on an E2E port"
    STEPS_REMOVED = "stepsRemoved 255 or more"
    UNSUPPORTED = "unsupported message"


def _zero_by_type() -> dict[MessageType, int]:
    return dict.fromkeys(MessageType, 0)


@dataclass(slots=True)
class PortCounters:
    received: dict[MessageType, int] = field(default_factory=_zero_by_type)
    sent: dict[MessageType, int] = field(default_factory=_zero_by_type)
    dropped: dict[DropReason, int] = field(default_factory=lambda: dict.fromkeys(DropReason, 0))
    # Part of "received": accepted but of no use in the port's state (a Delay_Req to a
    # slave, a Delay_Resp for another port, management for another clock...).
    ignored: int = 0
    tx_timestamp_timeouts: int = 0
    # TX timestamps for unknown or expired handles, or too odd to put in a message.
    tx_timestamp_unmatched: int = 0
    announce_receipt_timeouts: int = 0
    management_errors_sent: int = 0

    def drop(self, reason: DropReason) -> None:
        self.dropped[reason] += 1

    def as_dict(self) -> dict[str, object]:
        """Plain data (str keys, ints) for status output; zero rows left out."""
        return {
            "received": {t.name: n for t, n in self.received.items() if n},
            "sent": {t.name: n for t, n in self.sent.items() if n},
            "dropped": {r.value: n for r, n in self.dropped.items() if n},
            "ignored": self.ignored,
            "tx_timestamp_timeouts": self.tx_timestamp_timeouts,
            "tx_timestamp_unmatched": self.tx_timestamp_unmatched,
            "announce_receipt_timeouts": self.announce_receipt_timeouts,
            "management_errors_sent": self.management_errors_sent,
        }
