# SPDX-License-Identifier: GPL-2.0-or-later
"""All upstream sources of the daemon in one sans-IO object: polling, reply routing, selection.

The daemon's loop: sleep until `next_deadline()`; for each source in
`due(now)` send `make_request(...)` to (source.address, source.port); route
each reply with `source_for(address)` to `handle_response`; after a sample
call `select(now)` and feed the servo when `peer_sample_mono_ns` changed
(select also moves the shared poll exponent on exactly those updates);
resolve pool names and `refill_pool` when `prune_pools()` names a pool.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from ptpbridge.core.ntp.addresses import parse_client
from ptpbridge.core.ntp.keys import SymmetricKey
from ptpbridge.core.ntp_client.pool import NtpPool
from ptpbridge.core.ntp_client.source import NtpSource
from ptpbridge.core.ntp_client.status import SelectionResult, SourceState, SourceStatus, Verdict
from ptpbridge.core.ntp_client.syspoll import SystemPoll
from ptpbridge.core.ntp_client.system import select_sources
from ptpbridge.core.ntp_client.tuning import DEFAULT_TUNING, ClientTuning
from ptpbridge.wire.ntp.constants import NTP_PORT

_NOT_EVALUATED = Verdict(SourceState.UNUSABLE, "not evaluated yet")


class NtpClientCore:
    """The configured servers and pools, and the last selection over them."""

    def __init__(
        self,
        *,
        tuning: ClientTuning = DEFAULT_TUNING,
        local_refids: Iterable[bytes] = (),
        random_bits: Callable[[int], int] = secrets.randbits,
    ) -> None:
        self.tuning = tuning
        self.local_refids = frozenset(local_refids)
        self._random_bits = random_bits
        self._servers: list[NtpSource] = []
        self._pools: dict[str, NtpPool] = {}
        self.last_result: SelectionResult | None = None
        self.system_poll = SystemPoll(tuning)

    # -- configuration ----------------------------------------------------

    def add_server(self, address: str, *, name: str | None = None, iburst: bool = False, minpoll: int = 6,
                   maxpoll: int = 10, key: SymmetricKey | None = None, version: int = 4,
                   port: int = NTP_PORT, start_mono_ns: int = 0) -> NtpSource:
        """A `server` entry (already resolved to one address)."""
        src = NtpSource(address, iburst=iburst, minpoll=minpoll, maxpoll=maxpoll, key=key, version=version,
                        name=name, port=port, tuning=self.tuning, start_mono_ns=start_mono_ns,
                        random_bits=self._random_bits)
        if self.source_for(src.address) is not None:
            raise ValueError(f"{src.address} is already a source")
        self._servers.append(src)
        return src

    def add_pool(self, name: str, addresses: Iterable[str], *, max_sources: int = 4, iburst: bool = False,
                 minpoll: int = 6, maxpoll: int = 10, key: SymmetricKey | None = None, version: int = 4,
                 port: int = NTP_PORT, start_mono_ns: int = 0) -> NtpPool:
        """A `pool` entry with the addresses its name resolved to (more can come via refill_pool)."""
        if name in self._pools:
            raise ValueError(f"pool {name!r} configured twice")
        pool = NtpPool(name, max_sources=max_sources, iburst=iburst, minpoll=minpoll, maxpoll=maxpoll,
                       key=key, version=version, port=port, tuning=self.tuning, random_bits=self._random_bits)
        self._pools[name] = pool
        self.refill_pool(name, addresses, start_mono_ns)
        return pool

    def refill_pool(self, name: str, addresses: Iterable[str], now_mono_ns: int) -> list[NtpSource]:
        """Offer freshly resolved addresses to a pool; returns the sources it added."""
        taken = {s.address for s in self.sources}
        return self._pools[name].offer(addresses, now_mono_ns, taken)

    def prune_pools(self) -> list[str]:
        """Drop dead pool sources; names of the pools that now want more addresses."""
        for pool in self._pools.values():
            pool.prune()
        return [name for name, pool in self._pools.items() if pool.wanted > 0]

    # -- polling ----------------------------------------------------------

    @property
    def sources(self) -> tuple[NtpSource, ...]:
        return tuple(self._servers) + tuple(s for p in self._pools.values() for s in p.sources)

    def source_for(self, address: str) -> NtpSource | None:
        """The source a reply from `address` belongs to (IPv4-mapped IPv6 folded), if any."""
        try:
            key = str(parse_client(address))
        except ValueError:
            return None
        return next((s for s in self.sources if s.address == key), None)

    def next_deadline(self) -> int | None:
        """Earliest poll deadline over all sources (monotonic ns); None when none will poll."""
        deadlines = [d for s in self.sources if (d := s.next_poll_deadline()) is not None]
        return min(deadlines, default=None)

    def due(self, now_mono_ns: int) -> list[NtpSource]:
        """Sources whose request is due at `now_mono_ns`."""
        return [s for s in self.sources if (d := s.next_poll_deadline()) is not None and d <= now_mono_ns]

    # -- selection and status ---------------------------------------------

    def select(self, now_mono_ns: int) -> SelectionResult:
        """Select over all sources (keeping the previous system peer while it is as good);
        a fresh system peer sample also moves the shared poll exponent."""
        last = self.last_result
        previous = last.system_peer if last is not None else None
        result = select_sources(self.sources, now_mono_ns, tuning=self.tuning,
                                previous_peer=previous, local_refids=self.local_refids)
        self.last_result = result
        fresh = result.synchronised and (
            last is None or (result.system_peer, result.peer_sample_mono_ns)
            != (last.system_peer, last.peer_sample_mono_ns))
        sources = self.sources
        if fresh and sources:
            lowest = min(s.poll.minpoll for s in sources)
            highest = max(s.poll.maxpoll for s in sources)
            exponent = self.system_poll.update(result.offset_ns, result.jitter_ns, lowest, highest)
            for s in sources:
                s.poll.set_target(exponent)
        return result

    def status(self, now_mono_ns: int) -> list[SourceStatus]:
        """One row per source, with the verdicts of the last selection."""
        verdicts = self.last_result.verdicts if self.last_result is not None else {}
        return [s.status(now_mono_ns, verdicts.get(s.address, _NOT_EVALUATED)) for s in self.sources]
