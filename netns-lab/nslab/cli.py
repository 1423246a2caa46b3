# SPDX-License-Identifier: GPL-2.0-or-later
"""``lab``: build, inspect, use and remove namespace labs from a shell."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from . import impair, naming, teardown, topology
from .lab import Lab, attach, running


def _print_status(info: dict[str, Any]) -> None:
    print(f"lab {info['name']}: topology {info['topology']} ({info['link']})")
    if info.get("switch_netns"):
        print(f"  switch  netns {info['switch_netns']}")
    for hname, h in info["hosts"].items():
        print(f"  {hname:<6}  netns {h['netns']}  {h['ifname']}  {h['ipv4']}  {h['ipv6']}")
    for hname, imp in info.get("impairments", {}).items():
        print(f"  impair {hname}: {imp}")
    if info.get("pids"):
        print(f"  pids {' '.join(str(p) for p in info['pids'])}")


def cmd_up(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    lab = Lab(args.topology, name=args.name, hosts=args.hosts)
    lab.up().keep()
    info = lab.status()
    info["seconds"] = round(time.monotonic() - t0, 3)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print_status(info)
        print(f"up in {info['seconds']} s")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    names = [args.name] if args.name else running()
    infos = []
    for name in names:
        lab = attach(name)
        info = lab.status()
        info["impairments"] = impair.recorded(lab)
        infos.append(info)
    if args.json:
        print(json.dumps(infos, indent=2))
    elif not infos:
        print("no labs")
    else:
        for info in infos:
            _print_status(info)
    return 0


def cmd_exec(args: argparse.Namespace) -> int:
    words = list(args.words)
    cmd = list(args.cmd)
    if cmd[:1] == ["--"]:
        cmd = cmd[1:]
    if not cmd:
        raise SystemExit("lab exec: missing command after --")
    if len(words) == 2:
        lab_name, host_name = words
    elif len(words) == 1:
        labs = running()
        if len(labs) != 1:
            raise SystemExit(f"lab exec: name the lab ({len(labs)} labs are up: {labs})")
        lab_name, host_name = labs[0], words[0]
    else:
        raise SystemExit("usage: lab exec [NAME] HOST -- CMD...")
    lab = attach(lab_name)
    netns = lab.switch_netns if host_name == naming.SWITCH_HOST else lab.host(host_name).netns
    assert netns is not None
    os.execvp("ip", ["ip", "netns", "exec", netns, *cmd])
    return 127  # not reached


def cmd_down(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    if args.all:
        result: dict[str, Any] = dict(teardown.down_all(args.prefix))
    elif args.name:
        lab = attach(args.name) if args.name in running() else None
        if lab is None:
            result = dict(teardown.remove_stem(naming.stem(args.name), naming.state_dir(args.name)))
        else:
            lab.down()
            result = {"lab": args.name}
    else:
        raise SystemExit("lab down: give NAME or --all")
    result["seconds"] = round(time.monotonic() - t0, 3)
    print(json.dumps(result) if args.json else
          f"down in {result['seconds']} s: {json.dumps({k: v for k, v in result.items() if k != 'seconds'})}")
    return 0


def cmd_impair(args: argparse.Namespace) -> int:
    lab = attach(args.name)
    host = lab.host(args.host)
    if args.clear:
        impair.clear(lab, host)
        return 0
    spec = impair.Netem(delay_ns=int(args.delay_ms * 1e6), jitter_ns=int(args.jitter_ms * 1e6),
                        loss_pct=args.loss, rate_bps=args.rate)
    tx = spec if args.direction in ("tx", "both") else None
    rx = spec if args.direction in ("rx", "both") else None
    impair.apply(lab, host, tx=tx, rx=rx, persist=True)
    print(json.dumps(impair.recorded(lab).get(host.name, {})))
    return 0


def cmd_topologies(args: argparse.Namespace) -> int:
    for name in topology.available():
        topo = topology.load(name)
        print(f"{name:<8} {topo.link:<6} {' '.join(topo.hosts):<20} {topo.description}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab", description="ptpbridge network-namespace labs")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build a lab from a topology")
    up.add_argument("topology", help="shipped topology name or TOML path")
    up.add_argument("--name", default="lab")
    up.add_argument("--hosts", type=int, default=None, help="size of the scalable group")
    up.add_argument("--json", action="store_true")
    up.set_defaults(func=cmd_up)
    st = sub.add_parser("status", help="show labs")
    st.add_argument("name", nargs="?")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    ex = sub.add_parser("exec", help="run a command in a lab host: exec [NAME] HOST -- CMD")
    ex.add_argument("words", nargs="+", metavar="[NAME] HOST")
    ex.add_argument("cmd", nargs=argparse.REMAINDER)
    ex.set_defaults(func=cmd_exec)
    dn = sub.add_parser("down", help="remove a lab, or every lab and leftover with --all")
    dn.add_argument("name", nargs="?")
    dn.add_argument("--all", action="store_true")
    dn.add_argument("--prefix", default=None, help=f"with --all: only names under this prefix "
                    f"(default {naming.BASE_PREFIX!r} or $NSLAB_PREFIX)")
    dn.add_argument("--json", action="store_true")
    dn.set_defaults(func=cmd_down)
    im = sub.add_parser("impair", help="delay/jitter/loss/rate on one host's link")
    im.add_argument("name")
    im.add_argument("host")
    im.add_argument("--direction", choices=("tx", "rx", "both"), default="both",
                    help="tx: frames the host sends; rx: frames it receives")
    im.add_argument("--delay-ms", type=float, default=0.0)
    im.add_argument("--jitter-ms", type=float, default=0.0)
    im.add_argument("--loss", type=float, default=0.0, help="percent")
    im.add_argument("--rate", type=int, default=0, help="bits per second (0: unlimited)")
    im.add_argument("--clear", action="store_true")
    im.set_defaults(func=cmd_impair)
    tp = sub.add_parser("topologies", help="list shipped topologies")
    tp.set_defaults(func=cmd_topologies)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "exec":
        # argparse puts "--" handling in REMAINDER; split words/cmd ourselves for clarity
        raw = list(argv if argv is not None else sys.argv[1:])
        raw = raw[raw.index("exec") + 1:]
        if "--" in raw:
            cut = raw.index("--")
            args.words, args.cmd = raw[:cut], raw[cut + 1:]
        else:
            args.words, args.cmd = raw[:-1], raw[-1:]
    if os.geteuid() != 0:
        print("lab: needs root (network namespaces)", file=sys.stderr)
        return 1
    try:
        return int(args.func(args))
    except (ValueError, LookupError, FileExistsError, NotImplementedError) as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 2
