# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-client response rate limiting with chrony's `ratelimit interval/burst/leak` meaning.

Each client address has a token bucket holding at most `burst` responses
that refills at one response per 2**interval seconds; a new client starts
with a full bucket. A request that finds a token spends it and is answered.
Over the limit, one request in 2**leak is still let through (so a spoofer
cannot silence a victim completely) and empties the bucket; the rest are
dropped. chrony picks the leaked requests at random; we take every
2**leak-th over-limit request of a client, which has the same share and
makes the count exact under injected time. chrony's extra rule that stops
limiting clients that poll faster when unanswered is not implemented.

Credit is kept as an integer in units of 2**-19 ns, so a response costs
exactly 10**9 * 2**(interval + 19) units for every allowed interval
(-19..12) and no float ever enters.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from ptpbridge.core.ntp.lru import LruTable, capacity_for
from ptpbridge.timebase import NS_PER_S

_SCALE_BITS: Final = 19
# Rough per-client cost of a bucket in the table (object, key, dict slot).
BUCKET_BYTES_ESTIMATE: Final = 256


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """chrony's defaults: interval 3 (one response per 8 s), burst 8, leak 2 (1 in 4)."""

    interval: int = 3
    burst: int = 8
    leak: int = 2
    # Answer leaked over-limit requests with a RATE kiss-o'-death instead of a normal reply.
    kod: bool = False
    max_clients: int = 65536
    max_bytes: int | None = None

    def __post_init__(self) -> None:
        if not -19 <= self.interval <= 12:
            raise ValueError("ratelimit interval must be in -19..12")
        if not 1 <= self.burst <= 255:
            raise ValueError("ratelimit burst must be in 1..255")
        if not 1 <= self.leak <= 4:
            raise ValueError("ratelimit leak must be in 1..4")


class RateVerdict(enum.IntEnum):
    """What the limiter says about one request."""

    ALLOW = 0
    LEAK = 1  # over the limit, let through by the leak
    DROP = 2


@dataclass(slots=True)
class _Bucket:
    credit: int
    last_ns: int
    over: int = 0


class RateLimiter:
    """Token buckets by client key in a bounded LRU table."""

    def __init__(self, config: RateLimitConfig) -> None:
        self.config = config
        self._cost = NS_PER_S << (config.interval + _SCALE_BITS)
        self._cap = self._cost * config.burst
        self._leak_mask = (1 << config.leak) - 1
        self.table: LruTable[object, _Bucket] = LruTable(
            capacity_for(config.max_clients, config.max_bytes, BUCKET_BYTES_ESTIMATE)
        )

    def check(self, client: object, now_ns: int) -> RateVerdict:
        """Spend a token for `client` at monotonic time `now_ns`; returns the verdict."""
        bucket = self.table.get(client)
        if bucket is None:
            bucket = self.table.get_or_create(client, lambda: _Bucket(self._cap, now_ns))
        elapsed = now_ns - bucket.last_ns
        if elapsed > 0:
            credit = bucket.credit + (elapsed << _SCALE_BITS)
            bucket.credit = credit if credit < self._cap else self._cap
            bucket.last_ns = now_ns
        if bucket.credit >= self._cost:
            bucket.credit -= self._cost
            return RateVerdict.ALLOW
        bucket.over += 1
        if bucket.over & self._leak_mask == 0:
            bucket.credit = 0
            return RateVerdict.LEAK
        return RateVerdict.DROP
