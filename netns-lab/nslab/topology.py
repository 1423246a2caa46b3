# SPDX-License-Identifier: GPL-2.0-or-later
"""Topologies as data: TOML files listing host groups and the link kind.

A topology says which hosts exist and whether they share one veth
(``link = "veth"``, exactly two hosts) or hang off a bridge
(``link = "bridge"``). Groups with ``scalable = true`` take ``--hosts N``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import naming

TOPOLOGY_DIR = Path(__file__).resolve().parent.parent / "topologies"
LINK_KINDS = ("veth", "bridge")


@dataclass(frozen=True)
class Topology:
    """A resolved topology: its name, link kind and ordered host names."""

    name: str
    link: str
    hosts: tuple[str, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if self.link not in LINK_KINDS:
            raise ValueError(f"topology {self.name}: link must be one of {LINK_KINDS}")
        if self.link == "veth" and len(self.hosts) != 2:
            raise ValueError(f"topology {self.name}: a veth link joins exactly 2 hosts")
        if not self.hosts:
            raise ValueError(f"topology {self.name}: no hosts")
        if len(set(self.hosts)) != len(self.hosts):
            raise ValueError(f"topology {self.name}: duplicate host names")
        if len(self.hosts) > 250:
            raise ValueError(f"topology {self.name}: at most 250 hosts")
        for host in self.hosts:
            naming.check_host_name(host)


def available() -> list[str]:
    """Names of the topologies shipped in ``netns-lab/topologies``."""
    return sorted(p.stem for p in TOPOLOGY_DIR.glob("*.toml"))


def load(name_or_path: str, hosts: int | None = None) -> Topology:
    """Load a shipped topology by name, or any TOML file by path.

    ``hosts`` overrides the count of every scalable group.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = TOPOLOGY_DIR / f"{name_or_path}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(
            f"unknown topology {name_or_path!r}: no file {path} (shipped: {', '.join(available())})"
        ) from None
    return from_dict(path.stem, data, hosts)


def from_dict(name: str, data: dict[str, object], hosts: int | None = None) -> Topology:
    """Build a Topology from parsed TOML, naming the bad key on error."""
    link = data.get("link")
    groups = data.get("group")
    if not isinstance(link, str):
        raise ValueError(f"topology {name}: key 'link' must be a string")
    if not isinstance(groups, list) or not groups:
        raise ValueError(f"topology {name}: needs at least one [[group]]")
    names: list[str] = []
    scaled = False
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            raise ValueError(f"topology {name}: group {i} is not a table")
        pattern = group.get("pattern")
        count = group.get("count")
        if not isinstance(pattern, str) or "{i}" not in pattern:
            raise ValueError(f"topology {name}: group {i} key 'pattern' needs '{{i}}'")
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"topology {name}: group {i} key 'count' must be a positive int")
        if group.get("scalable", False) and hosts is not None:
            if hosts < 1:
                raise ValueError(f"topology {name}: --hosts must be >= 1")
            count = hosts
            scaled = True
        names.extend(pattern.format(i=k) for k in range(1, count + 1))
    if hosts is not None and not scaled:
        raise ValueError(f"topology {name} has a fixed size; --hosts does not apply")
    description = data.get("description", "")
    return Topology(name=name, link=link, hosts=tuple(names), description=str(description))


def pair() -> Topology:
    return load("pair")


def star(hosts: int = 2) -> Topology:
    return load("star", hosts)


def two_gm(clients: int = 2) -> Topology:
    return load("two-gm", clients)
