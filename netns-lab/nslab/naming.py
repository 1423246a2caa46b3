# SPDX-License-Identifier: GPL-2.0-or-later
"""Names and addresses of lab objects, derived in one place.

Every namespace a lab creates is called ``<prefix><lab>-<host>``; ``lab down
--all`` finds leftovers by that prefix alone, so nothing else may use it.
The prefix can be narrowed (``NSLAB_PREFIX=pblab-t42-``) so a test can
exercise ``--all`` without touching labs of concurrent runs.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

BASE_PREFIX = "pblab-"
STATE_ROOT = Path(os.environ.get("NSLAB_STATE_ROOT", "/run/pblab"))

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9]{0,23}$")
_HOST_RE = re.compile(r"^[a-z][a-z0-9]{0,10}$")

IPV4_NET = ipaddress.IPv4Network("198.18.0.0/24")
IPV6_NET = ipaddress.IPv6Network("fd70:6274::/64")
HOST_IFNAME = "veth0"
BRIDGE_IFNAME = "br0"
SWITCH_HOST = "sw"


def prefix() -> str:
    """The namespace prefix in force (``pblab-`` unless narrowed by env)."""
    value = os.environ.get("NSLAB_PREFIX", BASE_PREFIX)
    if not value.startswith(BASE_PREFIX):
        raise ValueError(f"NSLAB_PREFIX must start with {BASE_PREFIX!r}: {value!r}")
    return value


def check_lab_name(name: str) -> str:
    """Lab names are short lowercase alphanumerics, so ``-`` splits names."""
    if not _NAME_RE.match(name):
        raise ValueError(f"lab name must match {_NAME_RE.pattern}: {name!r}")
    return name


def check_host_name(name: str) -> str:
    """Host names double as switch-port interface names (15 chars max)."""
    if not _HOST_RE.match(name) or name == SWITCH_HOST:
        raise ValueError(f"host name must match {_HOST_RE.pattern} and not be 'sw': {name!r}")
    return name


def stem(lab: str, pfx: str | None = None) -> str:
    """Common start of every namespace of one lab, e.g. ``pblab-demo``."""
    return f"{pfx if pfx is not None else prefix()}{lab}"


def netns_name(lab: str, host: str, pfx: str | None = None) -> str:
    return f"{stem(lab, pfx)}-{host}"


def state_dir(lab: str, pfx: str | None = None) -> Path:
    """Where a lab records pids and files: survives the builder's death."""
    return STATE_ROOT / stem(lab, pfx)


def ipv4_of(index: int) -> str:
    """Address of host number ``index`` (1-based) in the lab subnet."""
    return str(IPV4_NET.network_address + index)


def ipv6_of(index: int) -> str:
    return str(IPV6_NET.network_address + index)
