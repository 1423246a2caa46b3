# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge phc`: list PTP hardware clocks and interface timestamping, show one clock.

What users would otherwise piece together from `ethtool -T`, `phc_ctl` and
sysfs, in one place and (with --json) in a form scripts can read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from phc import (
    PhcClock,
    PhcError,
    PhcPermissionError,
    SofFlag,
    TimestampingInfo,
    device_path,
    list_clocks,
    list_interfaces,
    timestamping_info,
)

# The names `ethtool -T` prints, so the two outputs read alike.
_SOF_NAMES = {
    SofFlag.TX_HARDWARE: "hardware-transmit",
    SofFlag.TX_SOFTWARE: "software-transmit",
    SofFlag.RX_HARDWARE: "hardware-receive",
    SofFlag.RX_SOFTWARE: "software-receive",
    SofFlag.SOFTWARE: "software-system-clock",
    SofFlag.SYS_HARDWARE: "hardware-legacy-clock",
    SofFlag.RAW_HARDWARE: "hardware-raw-clock",
}


def register(sub: Any) -> None:
    parser = sub.add_parser("phc", help="list PTP hardware clocks and interface timestamping")
    phc_sub = parser.add_subparsers(dest="phc_command", metavar="SUBCOMMAND")
    phc_sub.required = True

    list_parser = phc_sub.add_parser("list", help="every PHC and every interface's timestamping")
    list_parser.add_argument("--json", action="store_true", help="machine-readable output")
    list_parser.set_defaults(func=_guarded(_cmd_list))

    show_parser = phc_sub.add_parser("show", help="one clock: caps, time, frequency, offset")
    show_parser.add_argument("device", metavar="DEVICE|INTERFACE",
                             help="/dev/ptpN, ptpN, N, or an interface name")
    show_parser.add_argument("--json", action="store_true", help="machine-readable output")
    show_parser.set_defaults(func=_guarded(_cmd_show))


def _guarded(func: Any) -> Any:
    """Clock errors become one line on stderr and exit code 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except PhcError as exc:
            print(f"ptpbridge: {exc}", file=sys.stderr)
            return 1

    return run


def _flag_names(flags: SofFlag) -> list[str]:
    names = [name for flag, name in _SOF_NAMES.items() if flags & flag]
    rest = SofFlag(int(flags) & ~sum(int(f) for f in _SOF_NAMES))
    names += [(f.name or "").lower().replace("_", "-") for f in SofFlag if f & rest]
    return names


def _iface_json(info: TimestampingInfo) -> dict[str, Any]:
    return {
        "interface": info.interface,
        "so_timestamping": _flag_names(info.so_timestamping),
        "phc_index": info.phc_index,
        "tx_types": [t.name.lower() for t in info.tx_types],
        "rx_filters": [f.name.lower() for f in info.rx_filters],
    }


def _interfaces() -> list[dict[str, Any]]:
    result = []
    for ifname in list_interfaces():
        try:
            result.append(_iface_json(timestamping_info(ifname)))
        except PhcError as exc:
            result.append({"interface": ifname, "error": str(exc)})
    return result


def _cmd_list(args: argparse.Namespace) -> int:
    clocks = list_clocks()
    interfaces = _interfaces()
    if args.json:
        print(json.dumps({"clocks": [dataclasses.asdict(c) for c in clocks],
                          "interfaces": interfaces}, indent=2))
        return 0
    if not clocks:
        print("PTP hardware clocks: none on this machine")
    else:
        print("PTP hardware clocks:")
        for c in clocks:
            used_by = ", ".join(c.interfaces) or "-"
            print(f"  {c.device}  {c.clock_name}  max_adj {c.max_adj_ppb} ppb  pins {c.n_pins}"
                  f"  extts {c.n_ext_ts}  perout {c.n_per_out}  pps {'yes' if c.pps else 'no'}"
                  f"  interfaces: {used_by}")
    print("Interfaces:")
    for iface in interfaces:
        _print_interface(iface, "  ")
    return 0


def _print_interface(iface: dict[str, Any], indent: str) -> None:
    if "error" in iface:
        print(f"{indent}{iface['interface']}: {iface['error']}")
        return
    phc = "none" if iface["phc_index"] is None else f"/dev/ptp{iface['phc_index']}"
    print(f"{indent}{iface['interface']}: PHC {phc}; "
          f"capabilities: {' '.join(iface['so_timestamping']) or 'none'}")
    if iface["tx_types"] or iface["rx_filters"]:
        print(f"{indent}  hardware transmit: {' '.join(iface['tx_types']) or 'none'}")
        print(f"{indent}  hardware receive filters: {' '.join(iface['rx_filters']) or 'none'}")


def _open(device: str) -> tuple[PhcClock, bool]:
    """Open for writing where allowed (clock_adjtime reads need it), else read-only."""
    try:
        return PhcClock(device), True
    except PhcPermissionError:
        return PhcClock(device, writable=False), False


def _cmd_show(args: argparse.Namespace) -> int:
    spec: str = args.device
    interface = None if device_path(spec) else _iface_json(timestamping_info(spec))
    clock, writable = _open(spec)
    with clock:
        caps = clock.caps()
        now = clock.now_ns()
        frequency: float | None = None
        frequency_note = ""
        try:
            frequency = clock.frequency_ppb()
        except PhcPermissionError:
            frequency_note = "unavailable (needs write access to the device)"
        offset = clock.offset_to_system()
    report = {
        "device": clock.name,
        "caps": dataclasses.asdict(caps),
        "time_ns": now,
        "frequency_ppb": frequency,
        "offset_to_system": dataclasses.asdict(offset),
        "interface": interface,
        "opened_writable": writable,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    sec, nsec = divmod(now, 1_000_000_000)
    print(f"{clock.name}")
    print(f"  time: {sec}.{nsec:09d}")
    print(f"  frequency adjustment: {frequency_note or f'{frequency:+.3f} ppb'}")
    print(f"  offset to CLOCK_REALTIME: {offset.offset_ns:+d} ns "
          f"(method {offset.method}, delay {offset.delay_ns} ns, {offset.samples} samples)")
    print(f"  max adjustment: {caps.max_adj_ppb} ppb; pins {caps.n_pins}, extts {caps.n_ext_ts}, "
          f"perout {caps.n_per_out}, alarms {caps.n_alarm}, pps {'yes' if caps.pps else 'no'}, "
          f"cross-timestamping {'yes' if caps.cross_timestamping else 'no'}, "
          f"adjust-phase {'yes' if caps.adjust_phase else 'no'}")
    if interface is not None:
        _print_interface(interface, "  interface ")
    return 0
