# SPDX-License-Identifier: GPL-2.0-or-later
"""What an interface can timestamp, and switching its hardware timestamping on.

Both go through ioctls on an ordinary socket (SIOCETHTOOL, SIOC[GS]HWTSTAMP),
which act on the interfaces of the caller's network namespace.
"""

from __future__ import annotations

import ctypes
import errno
import socket
from dataclasses import dataclass, field

from phc.errors import PhcNotFoundError, error_from_errno
from phc.libc import ioctl_errno
from phc.net_tstamp import HwTstampFilter, HwTstampTx, SofFlag
from phc.netdev_uapi import (
    ETHTOOL_GET_TS_INFO,
    IFNAMSIZ,
    SIOCETHTOOL,
    SIOCGHWTSTAMP,
    SIOCSHWTSTAMP,
    ethtool_ts_info,
    hwtstamp_config,
    ifreq,
)


@dataclass(frozen=True)
class TimestampingInfo:
    """ETHTOOL_GET_TS_INFO decoded; the raw masks keep bits newer than our enums."""

    interface: str
    so_timestamping: SofFlag
    phc_index: int | None
    tx_types: list[HwTstampTx] = field(default_factory=list)
    rx_filters: list[HwTstampFilter] = field(default_factory=list)
    tx_types_mask: int = 0
    rx_filters_mask: int = 0

    @property
    def phc_device(self) -> str | None:
        return None if self.phc_index is None else f"/dev/ptp{self.phc_index}"

    @property
    def hardware(self) -> bool:
        """True when the NIC stamps packets itself (in PHC time)."""
        return bool(self.so_timestamping & (SofFlag.TX_HARDWARE | SofFlag.RX_HARDWARE))


@dataclass(frozen=True)
class HwTstampConfig:
    """struct hwtstamp_config as the driver applied it."""

    tx_type: HwTstampTx | int
    rx_filter: HwTstampFilter | int
    flags: int = 0


def _ifreq(ifname: str, operation: str, data: ctypes._CData) -> ifreq:
    raw = ifname.encode()
    if not raw or len(raw) >= IFNAMSIZ or b"/" in raw or b"\0" in raw:
        raise PhcNotFoundError(ifname, operation, "not a valid interface name", errno.ENODEV)
    req = ifreq()
    req.ifr_name = raw
    req.ifr_data = ctypes.addressof(data)
    return req


def _dev_ioctl(ifname: str, request: int, data: ctypes._CData, operation: str) -> None:
    req = _ifreq(ifname, operation, data)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        err = ioctl_errno(sock.fileno(), request, req)
    if err == errno.ENODEV:
        raise PhcNotFoundError(ifname, operation, "no such interface", err)
    if err:
        raise error_from_errno(ifname, operation, err)


def _bits(mask: int) -> list[int]:
    return [bit for bit in range(32) if mask & (1 << bit)]


def timestamping_info(ifname: str) -> TimestampingInfo:
    """ETHTOOL_GET_TS_INFO for ``ifname`` in the current network namespace."""
    info = ethtool_ts_info(cmd=ETHTOOL_GET_TS_INFO)
    _dev_ioctl(ifname, SIOCETHTOOL, info, "timestamping_info")
    tx_known = {int(v) for v in HwTstampTx}
    rx_known = {int(v) for v in HwTstampFilter}
    return TimestampingInfo(
        interface=ifname,
        so_timestamping=SofFlag(info.so_timestamping),
        phc_index=None if info.phc_index < 0 else int(info.phc_index),
        tx_types=[HwTstampTx(b) for b in _bits(info.tx_types) if b in tx_known],
        rx_filters=[HwTstampFilter(b) for b in _bits(info.rx_filters) if b in rx_known],
        tx_types_mask=int(info.tx_types),
        rx_filters_mask=int(info.rx_filters),
    )


def _decode_config(cfg: hwtstamp_config) -> HwTstampConfig:
    tx: HwTstampTx | int = cfg.tx_type
    rx: HwTstampFilter | int = cfg.rx_filter
    try:
        tx = HwTstampTx(cfg.tx_type)
    except ValueError:
        pass
    try:
        rx = HwTstampFilter(cfg.rx_filter)
    except ValueError:
        pass
    return HwTstampConfig(tx_type=tx, rx_filter=rx, flags=int(cfg.flags))


def enable_hw_timestamping(
    ifname: str, tx_type: HwTstampTx | int = HwTstampTx.ON,
    rx_filter: HwTstampFilter | int = HwTstampFilter.ALL,
) -> HwTstampConfig:
    """SIOCSHWTSTAMP; returns what the driver really applied (it may widen the filter).

    Needs CAP_NET_ADMIN.  Drivers without hardware timestamping (veth) answer
    EOPNOTSUPP, raised as PhcNotSupportedError.
    """
    cfg = hwtstamp_config(flags=0, tx_type=int(tx_type), rx_filter=int(rx_filter))
    _dev_ioctl(ifname, SIOCSHWTSTAMP, cfg, "enable_hw_timestamping")
    return _decode_config(cfg)


def hw_timestamping_config(ifname: str) -> HwTstampConfig:
    """SIOCGHWTSTAMP: the interface's current hardware timestamping setting."""
    cfg = hwtstamp_config()
    _dev_ioctl(ifname, SIOCGHWTSTAMP, cfg, "hw_timestamping_config")
    return _decode_config(cfg)


def list_interfaces() -> list[str]:
    """Interface names of the current network namespace, in index order."""
    return [name for _, name in sorted(socket.if_nameindex())]


def phc_index_of(ifname: str) -> int:
    """The PHC index behind ``ifname``; PhcNotSupportedError if it has none."""
    info = timestamping_info(ifname)
    if info.phc_index is None:
        raise error_from_errno(ifname, "find PHC", errno.EOPNOTSUPP,
                               "interface has no PTP hardware clock")
    return info.phc_index

