# SPDX-License-Identifier: GPL-2.0-or-later
"""Static settings of a PTP clock and its ports, checked once at construction.

These are the core's own inputs; the daemon maps its TOML config onto them.
Values that the standard restricts raise ValueError with the field name, so
a bad config stops start-up instead of producing odd packets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ptpbridge.core.ptp.datasets import TimePropertiesDS
from ptpbridge.core.ptp.intervals import LOG_INTERVAL_MAX, LOG_INTERVAL_MIN, LOG_SYNC_INTERVAL_MIN
from ptpbridge.core.ptp.sample_filter import DelayFilterMode, GateSettings
from ptpbridge.timebase import NS_PER_S
from ptpbridge.wire.ptp.constants import ClockAccuracy, DelayMechanism, LinuxptpTimestamping, NetworkProtocol
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality

# clockClass of a slave-only clock (7.6.2.5).
CLOCK_CLASS_SLAVE_ONLY = 255
DEFAULT_CLOCK_QUALITY = ClockQuality(248, ClockAccuracy.UNKNOWN, 0xFFFF)


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} = {value} is outside {low}..{high}")


@dataclass(frozen=True, slots=True)
class PortConfig:
    """One port (portDS settings, 8.2.15) and what PORT_PROPERTIES_NP reports about it."""

    log_announce_interval: int = 1
    announce_receipt_timeout: int = 3
    log_sync_interval: int = 0
    log_min_delay_req_interval: int = 0
    log_min_pdelay_req_interval: int = 0
    delay_mechanism: DelayMechanism = DelayMechanism.E2E
    # delayAsymmetry (8.2.15.4.3): master-to-slave minus mean path delay, positive when the
    # master-to-slave path is the longer one (ptp4l's delayAsymmetry).
    delay_asymmetry_ns: int = 0
    # Slave-side sample filtering (sample_filter.py): the path delay used is the median
    # (or minimum) of the last delay_filter_length measurements; offsets and delays further
    # than outlier_gate.threshold scaled MADs from the recent median are rejected.
    delay_filter: DelayFilterMode = DelayFilterMode.MEDIAN
    delay_filter_length: int = 10
    outlier_gate: GateSettings = field(default_factory=GateSettings)
    # Reported by PORT_PROPERTIES_NP and CLOCK_DESCRIPTION only.
    interface: str = ""
    timestamping: LinuxptpTimestamping = LinuxptpTimestamping.HARDWARE
    network_protocol: NetworkProtocol = NetworkProtocol.UDP_IPV4
    physical_address: bytes = b""  # the interface's MAC
    protocol_address: bytes = b""  # its IPv4/IPv6 address, network order

    def __post_init__(self) -> None:
        for name in (
            "log_announce_interval",
            "log_sync_interval",
            "log_min_delay_req_interval",
            "log_min_pdelay_req_interval",
        ):
            _check_range(name, getattr(self, name), LOG_INTERVAL_MIN, LOG_INTERVAL_MAX)
        _check_range("log_sync_interval", self.log_sync_interval, LOG_SYNC_INTERVAL_MIN, LOG_INTERVAL_MAX)
        _check_range("announce_receipt_timeout", self.announce_receipt_timeout, 2, 255)
        _check_range("delay_filter_length", self.delay_filter_length, 1, 256)
        if abs(self.delay_asymmetry_ns) > NS_PER_S:
            raise ValueError(f"delay_asymmetry_ns = {self.delay_asymmetry_ns} is beyond one second")
        if self.delay_mechanism not in (DelayMechanism.E2E, DelayMechanism.P2P):
            raise ValueError(f"delay_mechanism {self.delay_mechanism!r}: only E2E and P2P are supported")
        if len(self.interface.encode()) > 255:
            raise ValueError("interface name longer than a PTPText (255 octets)")
        if len(self.physical_address) > 0xFFFF or len(self.protocol_address) > 0xFFFF:
            raise ValueError("physical_address / protocol_address too long")


@dataclass(frozen=True, slots=True)
class ClockConfig:
    """The clock (defaultDS settings, 8.2.1) and the core's own knobs."""

    clock_identity: ClockIdentity
    priority1: int = 128
    priority2: int = 128
    clock_quality: ClockQuality = DEFAULT_CLOCK_QUALITY
    domain_number: int = 0
    slave_only: bool = False
    # ptp4l's masterOnly: every port MASTER whatever it hears (9.2.2.2's masterOnly, clock-wide here).
    master_only: bool = False
    major_sdo_id: int = 0
    minor_sdo_id: int = 0
    # What we announce while we are grandmaster (the daemon updates it from
    # its reference and the Timebase through PtpClock.set_local_time_properties).
    time_properties: TimePropertiesDS = field(default_factory=TimePropertiesDS)
    # A Sync/Delay_Req/Pdelay_Resp whose TX timestamp has not come back by then
    # is given up: counted, its Follow_Up skipped.
    tx_timestamp_timeout_ns: int = 100_000_000
    # 1588-2019 allows stretching each announce receipt timeout by a random
    # share of one announce interval so that masters do not all start at once.
    announce_receipt_random: bool = False
    # Without a servo driving master_clock_selected(), leave UNCALIBRATED for
    # SLAVE after the first complete Sync measurement from the parent.
    calibrate_on_first_sync: bool = True
    # FAULTY ports retry (go back to INITIALIZING) after this long.
    fault_reset_ns: int = 16 * NS_PER_S
    # Seeds the core's random choices (announce timeout extension, Delay_Req spacing).
    seed: int = 0
    product_description: str = "ptpbridge;ptpbridge;0.1"
    revision_data: str = "0.1"
    user_description: str = ""

    def __post_init__(self) -> None:
        _check_range("priority1", self.priority1, 0, 255)
        _check_range("priority2", self.priority2, 0, 255)
        _check_range("domain_number", self.domain_number, 0, 255)
        _check_range("major_sdo_id", self.major_sdo_id, 0, 15)
        _check_range("minor_sdo_id", self.minor_sdo_id, 0, 255)
        _check_range("clock_class", self.clock_quality.clock_class, 0, 255)
        _check_range("clock_accuracy", self.clock_quality.clock_accuracy, 0, 255)
        _check_range("offset_scaled_log_variance", self.clock_quality.offset_scaled_log_variance, 0, 0xFFFF)
        if self.slave_only and self.clock_quality.clock_class != CLOCK_CLASS_SLAVE_ONLY:
            raise ValueError(f"slave_only needs clockClass {CLOCK_CLASS_SLAVE_ONLY} (7.6.2.5)")
        if self.slave_only and self.master_only:
            raise ValueError("slave_only and master_only exclude each other")
        if self.tx_timestamp_timeout_ns <= 0:
            raise ValueError("tx_timestamp_timeout_ns must be positive")
        if self.fault_reset_ns <= 0:
            raise ValueError("fault_reset_ns must be positive")
        for name in ("product_description", "revision_data", "user_description"):
            if len(getattr(self, name).encode()) > 255:
                raise ValueError(f"{name} longer than a PTPText (255 octets)")
