"""`ptpbridge run`: load the config, start the daemon, stop cleanly on signals."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from ptpbridge.config import ConfigError, load_config
from ptpbridge.daemon.control import ControlError

LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "notice": logging.INFO,
              "warning": logging.WARNING, "error": logging.ERROR}


def register(sub: Any) -> None:
    parser = sub.add_parser("run", help="run the daemon in the foreground")
    parser.add_argument("--config", "-f", type=Path, help="TOML config file (defaults apply without one)")
    parser.add_argument("--interface", "-i", action="append", metavar="IFACE",
                        help="network interface to serve on (repeatable; replaces the config's list)")
    parser.add_argument("--clock", metavar="SPEC",
                        help="clock to serve: sim, system, /dev/ptpN, ptpN or an interface name")
    parser.add_argument("--control", type=Path, metavar="PATH", help="control socket path")
    parser.add_argument("--log-level", choices=sorted(LOG_LEVELS), help="override logging.level")
    parser.set_defaults(func=run)


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.interface:
        overrides["interfaces"] = args.interface
    if args.clock:
        overrides["clock.device"] = args.clock
    if args.control:
        overrides["control.socket"] = str(args.control)
    if args.log_level:
        overrides["logging.level"] = args.log_level
    return overrides


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, overrides_from(args))
    except ConfigError as exc:
        print(f"ptpbridge: config error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=LOG_LEVELS[config.logging.level],
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Imported here so config errors are reported without loading the daemon.
    import phc
    from ptpbridge.daemon.app import Daemon
    from ptpbridge.daemon.discipline import DisciplineError, discipline_components
    from ptpbridge.daemon.leap import leap_components
    from ptpbridge.daemon.ntp_service import NtpSetupError, ntp_components
    from ptpbridge.daemon.ptp_service import PtpSetupError, ptp_components

    daemon = Daemon(config, args.config, [leap_components, discipline_components, ptp_components, ntp_components])
    try:
        asyncio.run(daemon.run())
    except (phc.PhcError, ControlError, DisciplineError, PtpSetupError, NtpSetupError) as exc:
        print(f"ptpbridge: {exc}", file=sys.stderr)
        return 1
    return 0
