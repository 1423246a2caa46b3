# SPDX-License-Identifier: GPL-2.0-or-later
"""Which PTP hardware clocks this machine has, and which interfaces use them.

Clock facts come from sysfs (/sys/class/ptp/ptpN, see the kernel's
Documentation/ABI/testing/sysfs-ptp), so listing needs no permission to open
the devices.  The interface link comes from the NIC's sysfs device
(device/ptp/ptpN) and, for devices without one, from ETHTOOL_GET_TS_INFO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from phc.errors import PhcError
from phc.timestamping import list_interfaces, timestamping_info

_SYSFS = Path("/sys")


@dataclass(frozen=True)
class PhcInfo:
    """One PTP clock as sysfs describes it."""

    index: int
    device: str
    clock_name: str
    max_adj_ppb: int
    n_pins: int
    pps: bool
    n_ext_ts: int
    n_per_out: int
    interfaces: list[str] = field(default_factory=list)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _read_int(path: Path) -> int:
    text = _read(path)
    try:
        return int(text)
    except ValueError:
        return 0


def _interfaces_of(index: int, sysfs: Path) -> list[str]:
    names = []
    for ifname in list_interfaces():
        if (sysfs / "class/net" / ifname / "device/ptp" / f"ptp{index}").exists():
            names.append(ifname)
            continue
        try:
            if timestamping_info(ifname).phc_index == index:
                names.append(ifname)
        except PhcError:
            continue
    return names


def list_clocks(sysfs: Path = _SYSFS) -> list[PhcInfo]:
    """Every PTP clock in /sys/class/ptp, in index order, with the interfaces that use it."""
    root = sysfs / "class/ptp"
    try:
        entries = [p for p in root.iterdir() if re.fullmatch(r"ptp\d+", p.name)]
    except OSError:
        return []
    clocks = []
    for entry in sorted(entries, key=lambda p: int(p.name[3:])):
        index = int(entry.name[3:])
        clocks.append(PhcInfo(
            index=index,
            device=f"/dev/{entry.name}",
            clock_name=_read(entry / "clock_name"),
            max_adj_ppb=_read_int(entry / "max_adjustment"),
            n_pins=_read_int(entry / "n_programmable_pins"),
            pps=_read_int(entry / "pps_available") != 0,
            n_ext_ts=_read_int(entry / "n_external_timestamps"),
            n_per_out=_read_int(entry / "n_periodic_outputs"),
            interfaces=_interfaces_of(index, sysfs),
        ))
    return clocks
