# SPDX-License-Identifier: GPL-2.0-or-later
"""What the PTP core asks its caller to do, and what it reports: plain frozen records.

The core never sends; it queues ``SendMessage`` records that the I/O layer
executes in order. Addresses are opaque to the core: a unicast destination
is the very object the I/O layer passed in as a packet's source (type
parameter ``A``), multicast is one of the two ``Multicast`` groups of the
port's transport (Annexes C-E: the primary group, and the peer-delay group
that switches do not forward).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar, Union

from ptpbridge.core.ptp.datasets import TimePropertiesDS
from ptpbridge.wire.ptp.constants import DelayMechanism, MessageType, PortState
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity

A = TypeVar("A")


class Channel(enum.Enum):
    """Event messages (UDP 319) are timestamped; general ones (UDP 320) are not."""

    EVENT = "event"
    GENERAL = "general"


class Multicast(enum.Enum):
    PRIMARY = "primary"  # 224.0.1.129 / ff0e::181 / 01:1b:19:00:00:00
    PDELAY = "pdelay"  # 224.0.0.107 / ff02::6b / 01:80:c2:00:00:0e


MULTICAST = Multicast.PRIMARY
PDELAY_MULTICAST = Multicast.PDELAY


@dataclass(frozen=True, slots=True)
class SendMessage(Generic[A]):
    """Send ``data`` on ``port``. With a ``tx_timestamp_handle``, report the
    transmit timestamp back through ``PtpClock.tx_timestamp`` (or None if none came)."""

    port: int
    channel: Channel
    destination: Multicast | A
    data: bytes
    message_type: MessageType
    tx_timestamp_handle: int | None = None


@dataclass(frozen=True, slots=True)
class StateChanged:
    port: int
    old: PortState
    new: PortState
    reason: str


@dataclass(frozen=True, slots=True)
class ParentChanged:
    """The BMCA picked a new parent or grandmaster (or this clock became grandmaster)."""

    parent_port_identity: PortIdentity
    grandmaster_identity: ClockIdentity
    grandmaster_clock_quality: ClockQuality
    grandmaster_priority1: int
    grandmaster_priority2: int
    steps_removed: int
    is_grandmaster: bool


@dataclass(frozen=True, slots=True)
class TimePropertiesChanged:
    time_properties: TimePropertiesDS


@dataclass(frozen=True, slots=True)
class SyncSample:
    """One master-to-slave measurement on a slave port, for a servo.

    ``t1_ns`` is the master's origin timestamp, ``t2_ns`` our receive
    timestamp, ``correction_ns`` the Sync (+ Follow_Up) correctionFields and
    ``path_delay_ns`` the current mean path delay (None until measured).
    """

    port: int
    sequence_id: int
    t1_ns: int
    t2_ns: int
    correction_ns: int
    path_delay_ns: int | None

    @property
    def offset_ns(self) -> int | None:
        """Our clock minus the master's (offsetFromMaster, 11.2), once the delay is known."""
        if self.path_delay_ns is None:
            return None
        return self.t2_ns - self.t1_ns - self.correction_ns - self.path_delay_ns


@dataclass(frozen=True, slots=True)
class PathDelaySample:
    """One completed delay measurement: meanPathDelay (E2E) or meanLinkDelay (P2P)."""

    port: int
    mechanism: DelayMechanism
    mean_path_delay_ns: int


Action: TypeAlias = Union[
    SendMessage[A], StateChanged, ParentChanged, TimePropertiesChanged, SyncSample, PathDelaySample
]
