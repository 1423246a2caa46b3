# SPDX-License-Identifier: GPL-2.0-or-later
"""Commands that ask the running daemon one question and print the answer as JSON or text.

One place for their shared options (--json, --control) and for how they
report an unreachable daemon, so every query command behaves alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ptpbridge.config.models import DEFAULT_CONTROL_SOCKET
from ptpbridge.daemon.control import ControlError, request


def add_query_arguments(parser: argparse.ArgumentParser) -> None:
    """--json and --control, as every query command takes them."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--control", type=Path, default=DEFAULT_CONTROL_SOCKET, metavar="PATH",
                        help=f"control socket (default {DEFAULT_CONTROL_SOCKET})")


def show(args: argparse.Namespace, command: str, render: Callable[[Any], str],
         unknown: str | None = None) -> int:
    """Ask for `command` and print its result; `unknown` is the message if the daemon lacks it."""
    try:
        result = request(args.control, command)
    except ControlError as exc:
        if unknown is not None and "unknown command" in str(exc):
            print(f"ptpbridge: {unknown}", file=sys.stderr)
        else:
            print(f"ptpbridge: {exc}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        print(render(result))
    return 0
