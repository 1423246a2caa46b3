# SPDX-License-Identifier: GPL-2.0-or-later
"""The `[ptp]` table: the grandmaster's config, checked at load time like every other key.

Names follow ptp4l's where a linuxptp user would look for the same knob
(`log_sync_interval` is ptp4l's `logSyncInterval`, `domain` its
`domainNumber`), and so do the defaults (ptp4l's default.cfg). Ranges are
the PTP core's own limits, imported from it, so a value this loader
accepts never makes the core refuse to start.

Profiles (`profile`):

* "default": IEEE 1588-2019 Annex I.3 (delay request-response default
  profile); Delay_Resp goes to the multicast group even for a unicast
  Delay_Req, as ptp4l without `hybrid_e2e` does.
* "enterprise": RFC 9760 (mixed multicast/unicast): UDP over IPv4 or IPv6
  and the E2E mechanism only; a unicast Delay_Req gets a unicast
  Delay_Resp (ptp4l's `hybrid_e2e 1`).

`hybrid` set explicitly overrides the profile's choice.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ptpbridge.config.base import StrictModel
from ptpbridge.core.ptp.config import CLOCK_CLASS_SLAVE_ONLY
from ptpbridge.core.ptp.intervals import LOG_INTERVAL_MAX, LOG_INTERVAL_MIN, LOG_SYNC_INTERVAL_MIN
from ptpbridge.wire.ptp.constants import TimeSource
from ptpbridge.wire.ptp.values import ClockIdentity

_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")

Profile = Literal["default", "enterprise"]
Transport = Literal["udpv4", "udpv6", "l2"]
DelayMechanismName = Literal["e2e", "p2p"]
TimestampingMode = Literal["auto", "hardware", "software"]
DelayFilterName = Literal["median", "minimum", "none"]


def is_mac(text: str) -> bool:
    """'aa:bb:cc:dd:ee:ff' (lower case, as parse_allow_entry leaves it)."""
    return _MAC_RE.match(text) is not None


def parse_allow_entry(text: str) -> str:
    """One management allow-list entry: an IPv4/IPv6 address or prefix, or a MAC (L2 peers)."""
    lowered = text.strip().lower()
    if is_mac(lowered):
        return lowered
    try:
        return str(ipaddress.ip_network(lowered, strict=False))
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4/IPv6 address or prefix, nor a MAC address") from None


class PtpConfig(StrictModel):
    """The PTP grandmaster on the daemon's clock; present in the file means enabled."""

    enabled: bool = True
    # None: every interface the daemon serves on (`interfaces`, `--interface`); one port each.
    interfaces: list[str] | None = None
    profile: Profile = "default"
    # ptp4l's network_transport: UDPv4, UDPv6, L2.
    transport: Transport = "udpv4"
    # ptp4l's delay_mechanism: E2E or P2P.
    delay_mechanism: DelayMechanismName = "e2e"
    # Unicast Delay_Resp to a unicast Delay_Req (ptp4l's hybrid_e2e); None: the profile's choice.
    hybrid: bool | None = None
    # ptp4l's domainNumber.
    domain: int = Field(0, ge=0, le=255)
    priority1: int = Field(128, ge=0, le=255)
    priority2: int = Field(128, ge=0, le=255)
    # defaultDS.clockQuality: ptp4l's clockClass, clockAccuracy, offsetScaledLogVariance.
    clock_class: int = Field(248, ge=0, le=255)
    clock_accuracy: int = Field(0xFE, ge=0, le=255)
    offset_scaled_log_variance: int = Field(0xFFFF, ge=0, le=0xFFFF)
    # timeSource announced: a number (0xA0) or a name ("gnss", "internal_oscillator", ...).
    time_source: int | str = int(TimeSource.INTERNAL_OSCILLATOR)
    # None: EUI-64 of the first interface's MAC (as ptp4l); else "001122.fffe.334455".
    clock_identity: str | None = None
    log_announce_interval: int = Field(1, ge=LOG_INTERVAL_MIN, le=LOG_INTERVAL_MAX)
    log_sync_interval: int = Field(0, ge=LOG_SYNC_INTERVAL_MIN, le=LOG_INTERVAL_MAX)
    log_min_delay_req_interval: int = Field(0, ge=LOG_INTERVAL_MIN, le=LOG_INTERVAL_MAX)
    log_min_pdelay_req_interval: int = Field(0, ge=LOG_INTERVAL_MIN, le=LOG_INTERVAL_MAX)
    announce_receipt_timeout: int = Field(3, ge=2, le=255)
    timestamping: TimestampingMode = "auto"
    # How long a Sync waits for its transmit timestamp before its Follow_Up is given up.
    tx_timestamp_timeout_ms: int = Field(100, ge=1, le=10_000)
    # Who may SET over the network (pmc "SET PRIORITY1"): addresses, prefixes or MACs.
    # None: this host's own addresses and MACs, and loopback.
    management_set_allow: list[str] | None = None
    # ptp4l's slaveOnly: announce clockClass 255 and never become MASTER (clock_class, if
    # given, must then be 255).
    slave_only: bool = False
    # ptp4l's masterOnly: the port stays MASTER (announcing, sending Sync) even when it hears a
    # better master, instead of going PASSIVE or SLAVE; a standby grandmaster then needs no
    # announce receipt timeout of its own before it takes over.
    master_only: bool = False
    # ptp4l's delayAsymmetry: master-to-slave minus the mean path delay, in ns; positive
    # when the master-to-slave path is the longer one. Moves the offset by -asymmetry.
    delay_asymmetry_ns: int = Field(0, ge=-1_000_000_000, le=1_000_000_000)
    # Slave-side filtering: the path delay used is the median (ptp4l's delay_filter
    # moving_median) or minimum of the last delay_filter_length measurements.
    delay_filter: DelayFilterName = "median"
    delay_filter_length: int = Field(10, ge=1, le=256)
    # Offsets and delays further than this many scaled MADs (MAD x 1.4826) from the median
    # of the recent accepted ones are rejected and counted; 0 turns the gate off.
    outlier_threshold: float = Field(5.0, ge=0, le=1000)

    @field_validator("time_source")
    @classmethod
    def _check_time_source(cls, value: int | str) -> int:
        if isinstance(value, int):
            if not 0 <= value <= 255:
                raise ValueError("must be 0..255")
            return value
        try:
            return int(TimeSource[value.strip().upper()])
        except KeyError:
            names = ", ".join(t.name.lower() for t in TimeSource)
            raise ValueError(f"unknown time source {value!r} (a number 0..255 or one of {names})") from None

    @field_validator("clock_identity")
    @classmethod
    def _check_identity(cls, value: str | None) -> str | None:
        if value is not None:
            ClockIdentity.parse(value)  # ValueError names the text
        return value

    @field_validator("management_set_allow")
    @classmethod
    def _check_allow(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [parse_allow_entry(v) for v in values]

    @field_validator("interfaces")
    @classmethod
    def _check_interfaces(cls, values: list[str] | None) -> list[str] | None:
        if values is not None and len(set(values)) != len(values):
            raise ValueError("interfaces repeat (one port per interface)")
        return values

    @model_validator(mode="after")
    def _check_profile(self) -> PtpConfig:
        if self.profile == "enterprise":
            if self.transport == "l2":
                raise ValueError("profile 'enterprise' runs over UDP (udpv4 or udpv6), not l2")
            if self.delay_mechanism != "e2e":
                raise ValueError("profile 'enterprise' uses the e2e delay mechanism only")
        return self

    @model_validator(mode="after")
    def _check_slave_only(self) -> PtpConfig:
        explicit = "clock_class" in self.model_fields_set
        if self.slave_only and explicit and self.clock_class != CLOCK_CLASS_SLAVE_ONLY:
            raise ValueError(f"slave_only = true announces clock_class {CLOCK_CLASS_SLAVE_ONLY}; "
                             f"clock_class = {self.clock_class} contradicts it (drop it or set 255)")
        if self.slave_only and self.master_only:
            raise ValueError("slave_only and master_only exclude each other")
        return self

    @property
    def announced_clock_class(self) -> int:
        """clockClass in defaultDS: 255 for a slave-only clock, else the configured one."""
        return CLOCK_CLASS_SLAVE_ONLY if self.slave_only else self.clock_class

    @property
    def unicast_delay_resp(self) -> bool:
        """Whether a unicast Delay_Req is answered unicast (hybrid), after the profile's default."""
        if self.hybrid is not None:
            return self.hybrid
        return self.profile == "enterprise"

    @property
    def time_source_value(self) -> int:
        """timeSource as the number the wire carries (validated above)."""
        assert isinstance(self.time_source, int)
        return self.time_source
