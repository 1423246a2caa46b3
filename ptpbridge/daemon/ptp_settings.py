# SPDX-License-Identifier: GPL-2.0-or-later
"""From the `[ptp]` table and the host's interfaces to the PTP core's own settings.

The core takes ClockConfig and PortConfig and knows nothing of TOML,
interfaces or addresses; this module is the one translation between the
two, plus the management SET allow-list predicate the core asks per sender.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from ptpbridge.config.ptp import PtpConfig, is_mac
from ptpbridge.core.ptp import ClockConfig, PortConfig, TimePropertiesDS
from ptpbridge.core.ptp.sample_filter import DelayFilterMode, GateSettings
from ptpbridge.daemon.ptp_netif import HostFacts, InterfaceFacts, protocol_address
from ptpbridge.io import UdpAddress
from ptpbridge.io.timestamps import TimestampSource
from ptpbridge.timebase import Timebase
from ptpbridge.wire.ptp.constants import DelayMechanism, LinuxptpTimestamping, NetworkProtocol
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality

# What the core's address type is here: (host, port[, flow, scope]) for UDP, a MAC for L2.
PeerAddress = UdpAddress | str

NETWORK_PROTOCOL = {"udpv4": NetworkProtocol.UDP_IPV4, "udpv6": NetworkProtocol.UDP_IPV6,
                    "l2": NetworkProtocol.IEEE_802_3}
DELAY_MECHANISM = {"e2e": DelayMechanism.E2E, "p2p": DelayMechanism.P2P}
LINUXPTP_TIMESTAMPING: dict[TimestampSource, LinuxptpTimestamping] = {
    "hardware": LinuxptpTimestamping.HARDWARE, "software": LinuxptpTimestamping.SOFTWARE}
LOOPBACK = ("127.0.0.0/8", "::1/128")
MS = 1_000_000


def clock_identity(config: PtpConfig, first: InterfaceFacts) -> ClockIdentity:
    """The configured identity, else the first interface's MAC as EUI-64 (as ptp4l does)."""
    if config.clock_identity is not None:
        return ClockIdentity.parse(config.clock_identity)
    if first.mac == "00:00:00:00:00:00":
        raise ValueError(f"interface {first.name} has no MAC address; set ptp.clock_identity")
    return ClockIdentity.from_mac(first.mac)


def clock_config(config: PtpConfig, identity: ClockIdentity, timebase: Timebase) -> ClockConfig:
    """defaultDS settings and what we announce as grandmaster (from the one Timebase)."""
    return ClockConfig(
        clock_identity=identity,
        priority1=config.priority1,
        priority2=config.priority2,
        clock_quality=ClockQuality(config.announced_clock_class, config.clock_accuracy,
                                   config.offset_scaled_log_variance),
        domain_number=config.domain,
        slave_only=config.slave_only,
        master_only=config.master_only,
        time_properties=TimePropertiesDS.from_timebase(timebase, time_source=config.time_source_value),
        # Twice the I/O layer's timeout: the endpoint always reports first (a timestamp or None).
        tx_timestamp_timeout_ns=2 * config.tx_timestamp_timeout_ms * MS,
    )


def port_config(config: PtpConfig, facts: InterfaceFacts, source: TimestampSource) -> PortConfig:
    family = socket.AF_INET6 if config.transport == "udpv6" else socket.AF_INET
    return PortConfig(
        log_announce_interval=config.log_announce_interval,
        announce_receipt_timeout=config.announce_receipt_timeout,
        log_sync_interval=config.log_sync_interval,
        log_min_delay_req_interval=config.log_min_delay_req_interval,
        log_min_pdelay_req_interval=config.log_min_pdelay_req_interval,
        delay_mechanism=DELAY_MECHANISM[config.delay_mechanism],
        delay_asymmetry_ns=config.delay_asymmetry_ns,
        delay_filter=DelayFilterMode(config.delay_filter),
        delay_filter_length=config.delay_filter_length,
        outlier_gate=GateSettings(threshold=config.outlier_threshold),
        interface=facts.name,
        timestamping=LINUXPTP_TIMESTAMPING[source],
        network_protocol=NETWORK_PROTOCOL[config.transport],
        physical_address=facts.mac_bytes,
        protocol_address=b"" if config.transport == "l2" else protocol_address(facts, family),
    )


@dataclass(frozen=True)
class ManagementAllowList:
    """Who may change this clock through a management SET: networks and MACs."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    macs: frozenset[str]

    @classmethod
    def build(cls, entries: Sequence[str] | None, host: HostFacts) -> ManagementAllowList:
        """The configured entries, or (None) this host's addresses, MACs and loopback."""
        if entries is None:
            own = [ipaddress.ip_network(a) for a in host.addresses()]
            own += [ipaddress.ip_network(n) for n in LOOPBACK]
            return cls(tuple(dict.fromkeys(own)), frozenset(host.macs()))
        macs = frozenset(e for e in entries if is_mac(e))
        nets = tuple(ipaddress.ip_network(e, strict=False) for e in entries if not is_mac(e))
        return cls(nets, macs)

    def allows(self, source: PeerAddress) -> bool:
        if isinstance(source, str):
            return source.lower() in self.macs
        try:
            ip = ipaddress.ip_address(source[0].split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.networks)

    def describe(self) -> list[str]:
        return [str(n) for n in self.networks] + sorted(self.macs)

