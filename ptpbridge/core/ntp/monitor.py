# SPDX-License-Identifier: GPL-2.0-or-later
"""Counters and a bounded per-client table, as plain data a status command can print."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Final

from ptpbridge.core.ntp.lru import LruTable, capacity_for

CLIENT_BYTES_ESTIMATE: Final = 400


class DropReason(enum.Enum):
    """Why a request got no reply; `category` groups them for the headline counters."""

    MALFORMED = ("malformed", "malformed")
    VERSION = ("version", "version")
    MODE_SYMMETRIC = ("mode1 symmetric active", "mode")
    MODE_UNEXPECTED = ("mode not a request", "mode")
    MODE6_DISABLED = ("mode6 disabled", "mode")
    MODE7 = ("mode7 never answered", "mode")
    ACCESS = ("access", "access")
    RATE = ("rate", "rate")
    AUTH_REQUIRED = ("auth required", "auth")
    AUTH_BAD_MAC = ("auth bad mac", "auth")
    AUTH_UNKNOWN_KEY = ("auth unknown key", "auth")

    def __init__(self, label: str, category: str) -> None:
        self.label = label
        self.category = category


CATEGORIES: Final = ("access", "rate", "malformed", "auth", "version", "mode")


@dataclass(slots=True)
class ServerCounters:
    """Totals since start. Every received request ends in exactly one of replied/dropped."""

    received: int = 0
    replied: int = 0
    dropped: dict[DropReason, int] = field(default_factory=lambda: dict.fromkeys(DropReason, 0))
    kod_sent: dict[str, int] = field(default_factory=dict)
    interleaved_replies: int = 0
    authenticated_replies: int = 0
    crypto_naks: int = 0
    auth_failures: int = 0
    rate_limited: int = 0
    tx_recorded: int = 0
    tx_unmatched: int = 0

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def dropped_by_category(self) -> dict[str, int]:
        out = dict.fromkeys(CATEGORIES, 0)
        for reason, count in self.dropped.items():
            out[reason.category] += count
        return out

    def as_dict(self) -> dict[str, object]:
        """Plain-data view (str keys, ints) for status output."""
        return {
            "received": self.received,
            "replied": self.replied,
            "dropped": self.dropped_by_category(),
            "dropped_detail": {r.label: c for r, c in self.dropped.items() if c},
            "kod_sent": dict(self.kod_sent),
            "interleaved_replies": self.interleaved_replies,
            "authenticated_replies": self.authenticated_replies,
            "crypto_naks": self.crypto_naks,
            "auth_failures": self.auth_failures,
            "rate_limited": self.rate_limited,
            "tx_recorded": self.tx_recorded,
            "tx_unmatched": self.tx_unmatched,
        }


@dataclass(slots=True)
class ClientRecord:
    """What we know of one client address (like `chronyc clients`)."""

    address: str
    requests: int = 0
    drops: int = 0
    last_seen_utc_ns: int = 0
    last_mode: int = -1
    last_version: int = -1
    interleaved: int = 0
    last_key_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class ClientMonitor:
    """Bounded LRU table of ClientRecord by address."""

    def __init__(self, max_clients: int = 4096, max_bytes: int | None = None) -> None:
        self.table: LruTable[str, ClientRecord] = LruTable(
            capacity_for(max_clients, max_bytes, CLIENT_BYTES_ESTIMATE)
        )

    def record(self, address: str) -> ClientRecord:
        rec = self.table.get(address)
        if rec is None:
            rec = self.table.get_or_create(address, lambda: ClientRecord(address))
        return rec

    def snapshot(self) -> list[ClientRecord]:
        """Copies of the records, most recently seen last."""
        return [ClientRecord(**asdict(rec)) for _, rec in self.table.items()]
