# SPDX-License-Identifier: GPL-2.0-or-later
"""Clock discovery from sysfs: the real tree, and a recorded one with a PHC."""

from __future__ import annotations

import re
from pathlib import Path

from phc import list_clocks, list_interfaces
from phc.discovery import PhcInfo


def test_lists_exactly_the_clocks_sysfs_has() -> None:
    root = Path("/sys/class/ptp")
    names = sorted((p.name for p in root.iterdir() if re.fullmatch(r"ptp\d+", p.name)),
                   key=lambda n: int(n[3:])) if root.is_dir() else []
    assert [c.device for c in list_clocks()] == [f"/dev/{n}" for n in names]


def test_recorded_sysfs_tree_with_one_phc(tmp_path: Path) -> None:
    """The layout of Documentation/ABI/testing/sysfs-ptp, as an igb NIC shows it."""
    ptp = tmp_path / "class/ptp/ptp2"
    ptp.mkdir(parents=True)
    for attr, value in {"clock_name": "igb", "max_adjustment": "62499999", "n_alarms": "0",
                        "n_external_timestamps": "2", "n_periodic_outputs": "2",
                        "n_programmable_pins": "4", "pps_available": "1"}.items():
        (ptp / attr).write_text(value + "\n")
    (tmp_path / "class/ptp/ptp10").mkdir()  # a clock whose attributes vanished meanwhile
    (tmp_path / "class/ptp/not-a-clock").mkdir()
    nic = list_interfaces()[0]  # any real interface; its sysfs device points at ptp2
    (tmp_path / "class/net" / nic / "device/ptp/ptp2").mkdir(parents=True)
    clocks = list_clocks(tmp_path)
    assert [c.device for c in clocks] == ["/dev/ptp2", "/dev/ptp10"]
    assert clocks[0] == PhcInfo(index=2, device="/dev/ptp2", clock_name="igb", max_adj_ppb=62499999,
                                n_pins=4, pps=True, n_ext_ts=2, n_per_out=2, interfaces=[nic])
    assert clocks[1].clock_name == "" and clocks[1].interfaces == []
