# SPDX-License-Identifier: GPL-2.0-or-later
"""The `[ntp]` table: the NTP server's config, checked at load time like every other key.

Defaults follow chrony where a chrony user would look for the same knob:
nobody is served until `allow` says so, rate limiting is off until a
`[ntp.ratelimit]` table exists (then chrony's interval 3, burst 8, leak 2),
interleaved mode is answered, and a bad MAC gets a crypto-NAK (RFC 5905).
One knob chrony lacks: `tx_latency_compensation` (on by default) adds the
typical delay between reading the clock and the packet leaving, learnt
from kernel transmit timestamps of sampled replies, to basic-mode
transmit timestamps.

The served clock is announced like chrony's `local` directive: synchronised
at `local_stratum` (chrony's default for `local` is 10) with reference id
`reference_id`, until a reference layer says better. `local_stratum = 0`
announces it unsynchronised (leap 3, stratum 16), so clients will not use it.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ptpbridge.config.base import StrictModel

# "allow all" in chrony: every IPv4 and IPv6 address.
ALL_ADDRESSES = ("0.0.0.0/0", "::/0")


class NtpRateLimitConfig(StrictModel):
    """chrony's `ratelimit`: a response per 2**interval s, `burst` in reserve, 1 in 2**leak leaks."""

    interval: int = Field(3, ge=-19, le=12)
    burst: int = Field(8, ge=1, le=255)
    leak: int = Field(2, ge=1, le=4)
    # Answer the leaked over-limit requests with a RATE kiss-o'-death.
    kod: bool = False
    # Clients tracked (all workers together); the least recently seen go first.
    max_clients: int = Field(65536, ge=1, le=16_777_216)


def _prefixes(values: list[str]) -> list[str]:
    out: list[str] = []
    for text in values:
        if text == "all":
            out.extend(ALL_ADDRESSES)
            continue
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not an IPv4/IPv6 address or prefix (or 'all')") from None
        out.append(text)
    return out


class NtpConfig(StrictModel):
    """NTP server on the daemon's clock; present in the file means enabled."""

    enabled: bool = True
    # None: every interface the daemon serves on (`interfaces`, `--interface`).
    interfaces: list[str] | None = None
    # One socket per address and interface; "0.0.0.0" and "::" are the wildcards.
    bind_addresses: list[str] = ["0.0.0.0", "::"]
    port: int = Field(123, ge=1, le=65535)
    timestamping: Literal["auto", "software", "hardware"] = "auto"
    # Stratum announced for the daemon's clock; 0: announce it unsynchronised.
    local_stratum: int = Field(10, ge=0, le=15)
    # Reference id: a 1-4 character code (LOCL, PHC, GPS, PPS) or an IPv4 address.
    reference_id: str = "LOCL"
    allow: list[str] = []
    deny: list[str] = []
    # Denied clients get a DENY kiss-o'-death instead of silence.
    deny_kod: bool = False
    ratelimit: NtpRateLimitConfig | None = None
    interleave: bool = True
    # Add the learnt delay from clock read to the kernel's transmit timestamp to
    # basic-mode transmit timestamps (core/ntp/txlatency); interleaved mode needs none.
    tx_latency_compensation: bool = True
    # Responses remembered for interleaved mode (all workers together).
    interleave_entries: int = Field(65536, ge=1, le=16_777_216)
    # Clients listed by `ptpbridge clients` (all workers together).
    client_log_entries: int = Field(4096, ge=1, le=1_048_576)
    key_file: Path | None = None
    # Drop requests without a valid MAC.
    require_auth: bool = False
    # A bad or unknown-key MAC: crypto-NAK (RFC 5905) or drop.
    bad_mac: Literal["nak", "drop"] = "nak"
    # Worker processes on SO_REUSEPORT; each client address always meets the same one.
    workers: int = Field(1, ge=1, le=64)

    @field_validator("allow", "deny")
    @classmethod
    def _check_prefixes(cls, values: list[str]) -> list[str]:
        return _prefixes(values)

    @field_validator("bind_addresses")
    @classmethod
    def _check_bind(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("needs at least one address ('0.0.0.0' and '::' are the wildcards)")
        for text in values:
            try:
                ipaddress.ip_address(text)
            except ValueError:
                raise ValueError(f"{text!r} is not an IPv4/IPv6 address") from None
        if len(set(values)) != len(values):
            raise ValueError("addresses repeat")
        return values

    @field_validator("reference_id")
    @classmethod
    def _check_refid(cls, value: str) -> str:
        from ptpbridge.wire.ntp.refid import refid_for_source

        refid_for_source(value)  # raises ValueError naming the problem
        return value

    @field_validator("key_file")
    @classmethod
    def _check_keys(cls, value: Path | None) -> Path | None:
        if value is not None:
            from ptpbridge.core.ntp.keys import load_key_file

            load_key_file(value)  # KeyFileError is a ValueError: file, line, reason
        return value
