# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge phc` as users run it: a subprocess, its exit code and its output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from phc import list_clocks, list_interfaces, timestamping_info

from phc_testlib import REPO, VethNamespace

PTPBRIDGE = REPO / ".venv" / "bin" / "ptpbridge"


def run_cli(*args: str, ns: VethNamespace | None = None) -> subprocess.CompletedProcess[str]:
    argv = [str(PTPBRIDGE), *args]
    if ns is not None:
        return ns.run(*argv, check=False)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("device", "message"), [
    ("/dev/null", "ptpbridge: /dev/null: open: not a PTP clock"),
    ("/dev/ptp99", "ptpbridge: /dev/ptp99: open: no such device"),
    ("pbnosuch0", "ptpbridge: pbnosuch0: timestamping_info: no such interface"),
])
def test_show_errors_are_one_line_and_exit_1(device: str, message: str) -> None:
    if device == "/dev/ptp99" and Path(device).exists():
        pytest.skip("this machine really has a /dev/ptp99")
    result = run_cli("phc", "show", device)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [message]
    assert result.stdout == ""


def test_list_json_matches_the_library() -> None:
    result = run_cli("phc", "list", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["device"] for c in data["clocks"]] == [c.device for c in list_clocks()]
    assert [i["interface"] for i in data["interfaces"]] == list_interfaces()
    for iface in data["interfaces"]:
        info = timestamping_info(iface["interface"])
        assert iface["phc_index"] == info.phc_index


def test_list_in_a_namespace_without_phc_says_so_and_lists_interfaces(veth_ns: VethNamespace) -> None:
    result = run_cli("phc", "list", ns=veth_ns)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    if not list_clocks():  # sysfs is shared, so the namespace sees the host's PHCs
        assert lines[0] == "PTP hardware clocks: none on this machine"
    assert (f"  {veth_ns.ifname}: PHC none; capabilities: software-transmit software-receive "
            "software-system-clock") in lines
    assert any(line.startswith(f"  {veth_ns.peer}: ") for line in lines)


def test_show_an_interface_without_phc(veth_ns: VethNamespace) -> None:
    result = run_cli("phc", "show", veth_ns.ifname, ns=veth_ns)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"ptpbridge: {veth_ns.ifname}: find PHC: interface has no PTP hardware clock"]
