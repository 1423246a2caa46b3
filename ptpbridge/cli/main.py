"""`ptpbridge` command line: one sub-command per module, loaded on demand.

Each command module exposes ``register(subparsers)`` which adds its parser and
sets ``func`` (a callable taking the parsed namespace and returning an exit
code).  Importing lazily keeps `ptpbridge status` fast: it must not pay for
scapy when all it does is talk to the control socket.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command name -> module under ptpbridge.cli that registers it
COMMANDS: dict[str, str] = {
    "run": "ptpbridge.cli.run_cmd",
    "status": "ptpbridge.cli.status_cmd",
    "clients": "ptpbridge.cli.clients_cmd",
    "sources": "ptpbridge.cli.sources_cmd",
    "tracking": "ptpbridge.cli.tracking_cmd",
    "phc": "ptpbridge.cli.phc_cmd",
    "decode": "ptpbridge.cli.decode_cmd",
    "bench": "ptpbridge.cli.bench_cmd",
    "demo": "ptpbridge.cli.demo_cmd",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ptpbridge",
        description="PTP grandmaster and NTP server from one PTP hardware clock.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            # Still list it in --help, but without importing its module.
            sub.add_parser(name, help=f"(see `ptpbridge {name} --help`)")
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # command not built yet in this tree
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(first if first in COMMANDS else None)
    args = parser.parse_args(args_list)
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
