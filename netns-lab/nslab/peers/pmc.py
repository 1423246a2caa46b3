# SPDX-License-Identifier: GPL-2.0-or-later
"""linuxptp's pmc: management GET/SET/CMD, answers parsed into dicts.

Local: ``pmc(host, ["GET CURRENT_DATA_SET"], uds=ptp4l.uds_path)`` talks to
one ptp4l through its Unix socket (``-u -b 0``). Remote: ``transport="UDPv4"``
(or UDPv6/L2) sends from ``host`` over the lab network to every ptp4l in
the domain; each answer names the responding port identity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..host import Host

Value = int | float | bool | str

_HEAD_RE = re.compile(r"^\s+(?P<pid>[0-9a-f]{6}\.[0-9a-f]{4}\.[0-9a-f]{6}-\d+) seq (?P<seq>\d+) "
                      r"(?P<action>[A-Z_]+) MANAGEMENT(?: (?P<id>[A-Z0-9_]+))?\s*(?P<rest>.*)$")
_FIELD_RE = re.compile(r"^\t\t(?P<key>\S+)\s+(?P<value>.*?)\s*$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?\d+\.\d*(?:[eE][+-]?\d+)?$")


@dataclass
class PmcResponse:
    """One management answer: who answered, what, and its fields."""

    port_identity: str
    seq: int
    action: str
    mgmt_id: str
    fields: dict[str, Value] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Value:
        return self.fields[key]


def convert(text: str) -> Value:
    """pmc prints numbers, booleans and identifiers; keep each as its kind.

    Hex like ``0xfe`` and identities stay strings (their meaning is in the
    digits, not the value).
    """
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def parse(output: str) -> list[PmcResponse]:
    """Parse pmc's text output (all answers, in order)."""
    out: list[PmcResponse] = []
    current: PmcResponse | None = None
    for line in output.splitlines():
        head = _HEAD_RE.match(line)
        if head:
            current = PmcResponse(head["pid"], int(head["seq"]), head["action"],
                                  head["id"] or head["rest"].strip())
            out.append(current)
            continue
        fld = _FIELD_RE.match(line)
        if fld and current is not None:
            current.fields[fld["key"]] = convert(fld["value"])
    return out


def pmc(host: Host, commands: list[str], *, uds: Path | str | None = None,
        transport: str = "uds", boundary_hops: int = 0, domain: int = 0,
        timeout: float = 20.0) -> list[PmcResponse]:
    """Run pmc in ``host`` with ``commands`` (e.g. "GET DEFAULT_DATA_SET")."""
    argv = ["pmc", "-b", str(boundary_hops), "-d", str(domain)]
    if transport == "uds":
        if uds is None:
            raise ValueError("pmc over uds needs the ptp4l socket path (uds=...)")
        argv += ["-u", "-s", str(uds)]
    elif transport in ("UDPv4", "UDPv6", "L2"):
        argv += [{"UDPv4": "-4", "UDPv6": "-6", "L2": "-2"}[transport], "-i", host.ifname]
    else:
        raise ValueError(f"pmc transport must be uds, UDPv4, UDPv6 or L2: {transport!r}")
    result = host.run([*argv, *commands], timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"pmc failed ({result.returncode}): {result.stderr or result.stdout}")
    return parse(result.stdout)
