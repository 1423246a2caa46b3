# SPDX-License-Identifier: GPL-2.0-or-later
"""Foreign master records of one port and their qualification (IEEE 1588-2019 9.3.2.4, 9.3.2.5).

A sender becomes a candidate for the BMCA only after FOREIGN_MASTER_THRESHOLD
distinct Announce messages inside FOREIGN_MASTER_TIME_WINDOW announce
intervals, so a single stray Announce never moves a port. We count the
first Announce too (the standard's rule; ptp4l skips the first one and so
needs three). The window is measured in the sender's own announce interval
(its logMessageInterval), so a master announcing more slowly than we do
still qualifies; a nonsense interval falls back to the port's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from ptpbridge.core.ptp.bmca import STEPS_REMOVED_LIMIT, ComparisonDataset
from ptpbridge.wire.ptp.fast import AnnounceMsg
from ptpbridge.wire.ptp.values import PortIdentity

FOREIGN_MASTER_THRESHOLD: Final = 2
FOREIGN_MASTER_TIME_WINDOW: Final = 4  # announce intervals
# Records kept per port (1588 asks for at least 5); senders beyond are refused.
FOREIGN_MASTER_CAPACITY: Final = 16


def announce_dataset(msg: AnnounceMsg, receiver: PortIdentity) -> ComparisonDataset:
    """The BMCA view of an Announce received by the port ``receiver``."""
    return ComparisonDataset(
        priority1=msg.grandmaster_priority1,
        grandmaster_identity=msg.grandmaster_identity,
        grandmaster_quality=msg.grandmaster_clock_quality,
        priority2=msg.grandmaster_priority2,
        steps_removed=msg.steps_removed,
        sender=msg.source_port_identity,
        receiver=receiver,
    )


@dataclass(slots=True)
class ForeignMaster:
    """One sender's latest Announce and the arrival times that count toward qualification."""

    sender: PortIdentity
    announce: AnnounceMsg
    dataset: ComparisonDataset
    window_ns: int
    arrivals: list[int] = field(default_factory=list)

    def prune(self, now_ns: int) -> None:
        cutoff = now_ns - self.window_ns
        self.arrivals = [t for t in self.arrivals if t > cutoff][-FOREIGN_MASTER_THRESHOLD:]

    def qualified(self, now_ns: int) -> bool:
        if self.dataset.steps_removed >= STEPS_REMOVED_LIMIT:
            return False
        cutoff = now_ns - self.window_ns
        return sum(1 for t in self.arrivals if t > cutoff) >= FOREIGN_MASTER_THRESHOLD


class ForeignMasterTable:
    """The foreign master data set of one port, bounded in size."""

    def __init__(self, receiver: PortIdentity, capacity: int = FOREIGN_MASTER_CAPACITY) -> None:
        self.receiver = receiver
        self.capacity = capacity
        self._records: dict[PortIdentity, ForeignMaster] = {}
        self.duplicates = 0
        self.refused = 0

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> list[ForeignMaster]:
        return list(self._records.values())

    def get(self, sender: PortIdentity) -> ForeignMaster | None:
        return self._records.get(sender)

    def add(self, msg: AnnounceMsg, now_ns: int, window_ns: int) -> bool:
        """Record an Announce; True if the BMCA inputs changed (newly qualified or new contents)."""
        sender = msg.source_port_identity
        record = self._records.get(sender)
        if record is None:
            self.prune(now_ns)
            if len(self._records) >= self.capacity:
                self.refused += 1
                return False
            record = ForeignMaster(sender, msg, announce_dataset(msg, self.receiver), window_ns)
            self._records[sender] = record
            record.arrivals.append(now_ns)
            return record.qualified(now_ns)
        if msg.sequence_id == record.announce.sequence_id:
            self.duplicates += 1
            return False
        was_qualified = record.qualified(now_ns)
        old_dataset = record.dataset
        old_announce = record.announce
        record.window_ns = window_ns
        record.announce = msg
        record.dataset = announce_dataset(msg, self.receiver)
        record.prune(now_ns)
        record.arrivals.append(now_ns)
        qualified = record.qualified(now_ns)
        if qualified != was_qualified:
            return True
        return qualified and (record.dataset != old_dataset or _properties(msg) != _properties(old_announce))

    def prune(self, now_ns: int) -> None:
        """Forget senders silent for a whole window."""
        for sender, record in list(self._records.items()):
            record.prune(now_ns)
            if not record.arrivals:
                del self._records[sender]

    def qualified(self, now_ns: int) -> list[ForeignMaster]:
        return [r for r in self._records.values() if r.qualified(now_ns)]

    def forget(self, sender: PortIdentity) -> None:
        self._records.pop(sender, None)

    def clear(self) -> None:
        self._records.clear()


def _properties(msg: AnnounceMsg) -> tuple[int, int, int]:
    """Announce fields outside the BMCA data set that slaves copy into timePropertiesDS."""
    return (msg.flags & 0xFF, msg.current_utc_offset, msg.time_source)
