# SPDX-License-Identifier: GPL-2.0-or-later
"""Interface timestamping inside a namespace of our own, checked against ethtool.

The ioctls act on the caller's network namespace, so the library runs in a
child process that `ip netns exec` placed there; it prints JSON we compare
with what `ethtool -T` prints for the same interface.
"""

from __future__ import annotations

import json
import shutil

import pytest
from phc_testlib import VethNamespace

from phc import SofFlag

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(shutil.which("ethtool") is None, reason="ethtool is not installed"),
]

# How ethtool spells each SOF_TIMESTAMPING capability (its own table, kept
# here as the test's oracle: independent of the CLI's display names).
ETHTOOL_CAPABILITY = {
    "hardware-transmit": SofFlag.TX_HARDWARE,
    "software-transmit": SofFlag.TX_SOFTWARE,
    "hardware-receive": SofFlag.RX_HARDWARE,
    "software-receive": SofFlag.RX_SOFTWARE,
    "software-system-clock": SofFlag.SOFTWARE,
    "hardware-legacy-clock": SofFlag.SYS_HARDWARE,
    "hardware-raw-clock": SofFlag.RAW_HARDWARE,
}

PROBE = r"""
import json, sys
from phc import PhcError, HwTstampTx, HwTstampFilter, enable_hw_timestamping, timestamping_info
ifname = sys.argv[1] if len(sys.argv) > 1 else {ifname!r}
info = timestamping_info(ifname)
out = {{"so_timestamping": int(info.so_timestamping), "phc_index": info.phc_index,
        "tx_types": [t.name for t in info.tx_types], "rx_filters": [f.name for f in info.rx_filters]}}
try:
    applied = enable_hw_timestamping(ifname, HwTstampTx.ON, HwTstampFilter.ALL)
    out["enable"] = {{"applied": [int(applied.tx_type), int(applied.rx_filter)]}}
except PhcError as exc:
    out["enable"] = {{"error": type(exc).__name__, "errno": exc.errno, "message": str(exc)}}
print(json.dumps(out))
"""


def _mode_name(ethtool_name: str) -> str:
    """ethtool's "ptpv2-l4-event" -> our enum's "PTP_V2_L4_EVENT"."""
    return ethtool_name.upper().replace("-", "_").replace("PTPV", "PTP_V")


def parse_ethtool_t(text: str) -> dict[str, object]:
    """`ethtool -T IF` -> capabilities (SofFlag), PHC index or None, hw tx modes, hw rx filters."""
    caps = SofFlag(0)
    phc: int | None = None
    modes: dict[str, list[str]] = {"tx": [], "rx": []}
    headings = {"Capabilities": "caps", "Hardware Transmit Timestamp Modes": "tx",
                "Hardware Receive Filter Modes": "rx", "PTP Hardware Clock": "phc"}
    section = ""
    for raw in text.splitlines():
        heading, _, inline = raw.partition(":")
        if not raw.startswith((" ", "\t")) and heading in headings:
            section, inline = headings[heading], inline.strip()
            if section == "phc":
                phc = None if inline == "none" else int(inline)
            # "Modes: none" inline means no modes at all
            continue
        line = raw.strip()
        if not line:
            continue
        if section == "caps":
            caps |= ETHTOOL_CAPABILITY[line.split()[0]]
        elif section in modes:
            modes[section].append(_mode_name(line.split()[0]))
    return {"caps": caps, "phc": phc, "tx": modes["tx"], "rx": modes["rx"]}


def probe(ns: VethNamespace, ifname: str) -> dict[str, object]:
    result = ns.python(PROBE.format(ifname=ifname))
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_veth_reports_what_ethtool_reports(veth_ns: VethNamespace) -> None:
    ours = probe(veth_ns, veth_ns.ifname)
    theirs = parse_ethtool_t(veth_ns.run("ethtool", "-T", veth_ns.ifname).stdout)
    assert SofFlag(ours["so_timestamping"]) == theirs["caps"]  # type: ignore[arg-type]
    assert ours["phc_index"] == theirs["phc"]
    assert ours["tx_types"] == theirs["tx"] == []
    assert ours["rx_filters"] == theirs["rx"] == []
    # veth: software stamps only, in the kernel, against the system clock.
    assert theirs["caps"] == SofFlag.TX_SOFTWARE | SofFlag.RX_SOFTWARE | SofFlag.SOFTWARE


def test_enabling_hardware_timestamping_on_veth_is_not_supported(veth_ns: VethNamespace) -> None:
    enable = probe(veth_ns, veth_ns.ifname)["enable"]
    assert isinstance(enable, dict)
    assert enable["error"] == "PhcNotSupportedError"
    assert enable["message"] == f"{veth_ns.ifname}: enable_hw_timestamping: not supported by the driver"


def test_the_namespace_is_really_separate(veth_ns: VethNamespace) -> None:
    """The root namespace has no such interface: our probe really ran inside."""
    from phc import PhcNotFoundError, timestamping_info

    with pytest.raises(PhcNotFoundError):
        timestamping_info(veth_ns.ifname)


def test_unknown_interface_inside_the_namespace(veth_ns: VethNamespace) -> None:
    result = veth_ns.python(PROBE.format(ifname="pbnosuch0"))
    assert result.returncode == 1
    assert "pbnosuch0: timestamping_info: no such interface" in result.stderr
