# SPDX-License-Identifier: GPL-2.0-or-later
"""A `pool` entry: one name standing for several servers, each address its own source.

Name resolution is the caller's job (the core does no I/O): it resolves the
name and offers the addresses; the pool takes new ones up to `max_sources`.
Sources that a DENY/RSTR kiss stopped, or that stayed unreachable for a full
reach register after answering nothing, are pruned so the caller can offer
fresh addresses (chrony replaces unreachable pool sources the same way).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Container, Iterable

from ptpbridge.core.ntp.addresses import parse_client
from ptpbridge.core.ntp.keys import SymmetricKey
from ptpbridge.core.ntp_client.reach import REACH_BITS
from ptpbridge.core.ntp_client.source import NtpSource
from ptpbridge.core.ntp_client.status import SourceKind
from ptpbridge.core.ntp_client.tuning import DEFAULT_TUNING, ClientTuning
from ptpbridge.wire.ntp.constants import NTP_PORT


class NtpPool:
    """Up to `max_sources` sources sharing one name and one set of options."""

    def __init__(
        self,
        name: str,
        *,
        max_sources: int = 4,
        iburst: bool = False,
        minpoll: int = 6,
        maxpoll: int = 10,
        key: SymmetricKey | None = None,
        version: int = 4,
        port: int = NTP_PORT,
        tuning: ClientTuning = DEFAULT_TUNING,
        random_bits: Callable[[int], int] = secrets.randbits,
    ) -> None:
        if max_sources < 1:
            raise ValueError("a pool needs max_sources >= 1")
        self.name = name
        self.max_sources = max_sources
        self.iburst = iburst
        self.minpoll = minpoll
        self.maxpoll = maxpoll
        self.key = key
        self.version = version
        self.port = port
        self.tuning = tuning
        self._random_bits = random_bits
        self.sources: list[NtpSource] = []
        # NtpSource owns the option checks: run them now, before any address arrives.
        self._make("0.0.0.0", 0)

    @property
    def wanted(self) -> int:
        """How many more addresses the pool would take."""
        return self.max_sources - len(self.sources)

    def offer(self, addresses: Iterable[str], now_mono_ns: int, taken: Container[str] = ()) -> list[NtpSource]:
        """Add sources for new addresses (not ours, not in `taken`) while there is room; ValueError on a bad address."""
        added: list[NtpSource] = []
        for raw in addresses:
            if self.wanted <= 0:
                break
            address = str(parse_client(raw))
            if address in taken or any(s.address == address for s in self.sources):
                continue
            src = self._make(address, now_mono_ns)
            self.sources.append(src)
            added.append(src)
        return added

    def _make(self, address: str, now_mono_ns: int) -> NtpSource:
        return NtpSource(address, iburst=self.iburst, minpoll=self.minpoll, maxpoll=self.maxpoll,
                         key=self.key, version=self.version, name=self.name, kind=SourceKind.POOL,
                         port=self.port, tuning=self.tuning, start_mono_ns=now_mono_ns,
                         random_bits=self._random_bits)

    def prune(self) -> list[NtpSource]:
        """Drop stopped sources and ones unanswered for a whole reach register; returns them."""
        gone = [s for s in self.sources
                if s.stopped is not None or (not s.reach.reachable and s.poll.unanswered >= REACH_BITS)]
        self.sources = [s for s in self.sources if s not in gone]
        return gone
