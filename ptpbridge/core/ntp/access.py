# SPDX-License-Identifier: GPL-2.0-or-later
"""Allow/deny lists of IPv4 and IPv6 prefixes, most specific match wins.

A lookup tries the configured prefix lengths from longest to shortest and
stops at the first hit, so the cost is one dict probe per distinct prefix
length, whatever the list sizes. A prefix both allowed and denied is
denied. Addresses that match nothing get the default, which is deny.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from ptpbridge.core.ntp.addresses import IPAddress


@dataclass(frozen=True, slots=True)
class AccessConfig:
    """Prefixes as strings ("198.18.0.0/15", "fd00::/8", "2001:db8::1")."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    default_allow: bool = False
    # Answer denied clients with a DENY kiss-o'-death instead of silence.
    deny_kod: bool = False


@dataclass(slots=True)
class _Family:
    bits: int
    lengths: list[int] = field(default_factory=list)  # longest first
    rules: dict[tuple[int, int], bool] = field(default_factory=dict)  # (len, prefix int) -> allow


class AccessControl:
    """Decides whether a client address may be served."""

    def __init__(self, config: AccessConfig) -> None:
        self.config = config
        self._v4 = _Family(32)
        self._v6 = _Family(128)
        self._load(config.allow, True)
        self._load(config.deny, False)
        for fam in (self._v4, self._v6):
            fam.lengths = sorted({length for length, _ in fam.rules}, reverse=True)

    def _load(self, prefixes: Iterable[str], allow: bool) -> None:
        for text in prefixes:
            try:
                net = ipaddress.ip_network(text, strict=False)
            except ValueError as exc:
                raise ValueError(f"invalid access prefix {text!r}: {exc}") from None
            fam = self._v4 if net.version == 4 else self._v6
            key = (net.prefixlen, int(net.network_address) >> (fam.bits - net.prefixlen))
            # Deny wins a tie: never let allow overwrite deny.
            fam.rules[key] = fam.rules.get(key, True) and allow

    def allowed(self, addr: IPAddress) -> bool:
        """True when the most specific matching prefix allows `addr` (default otherwise)."""
        fam = self._v4 if addr.version == 4 else self._v6
        value = int(addr)
        rules = fam.rules
        for length in fam.lengths:
            verdict = rules.get((length, value >> (fam.bits - length)))
            if verdict is not None:
                return verdict
        return self.config.default_allow
