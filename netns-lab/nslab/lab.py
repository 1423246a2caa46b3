# SPDX-License-Identifier: GPL-2.0-or-later
"""A lab: namespaces for hosts (and the switch), wired per a Topology.

``Lab.up()`` builds, ``Lab.down()`` removes everything (processes by pid,
namespaces, state). A failed build cleans up after itself before raising.
"""

from __future__ import annotations

import atexit
import itertools
import os
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from . import naming, netlink, nsutil, procs, state, teardown, topology
from .host import Host
from .topology import Topology

_counter = itertools.count(1)


def auto_name() -> str:
    """A lab name unique on this machine: ``p<pid>n<k>`` (see ``own_prefix``)."""
    return f"p{os.getpid()}n{next(_counter)}"


def own_prefix() -> str:
    """Namespace prefix shared by every auto-named lab of this process."""
    return f"{naming.prefix()}p{os.getpid()}n"


_live: dict[int, "Lab"] = {}


@atexit.register
def _down_leftovers() -> None:
    """Last resort: labs still up when the interpreter exits are removed."""
    for lab in list(_live.values()):
        try:
            lab.down()
        except Exception:
            pass


class Lab:
    """A built (or buildable) lab. Use ``nslab.up(...)`` or ``with Lab(...)``."""

    def __init__(self, topo: Topology | str, name: str | None = None,
                 hosts: int | None = None) -> None:
        self.topology = topology.load(topo, hosts) if isinstance(topo, str) else topo
        self.name = naming.check_lab_name(name if name is not None else auto_name())
        self.prefix = naming.prefix()
        self.stem = naming.stem(self.name, self.prefix)
        self.state_dir = naming.state_dir(self.name, self.prefix)
        self.hosts: dict[str, Host] = {}
        for i, hname in enumerate(self.topology.hosts, start=1):
            self.hosts[hname] = Host(lab=self, name=hname, index=i,
                                     netns=naming.netns_name(self.name, hname, self.prefix),
                                     ifname=naming.HOST_IFNAME, ipv4=naming.ipv4_of(i),
                                     ipv6=naming.ipv6_of(i))
        self.switch_netns: str | None = (
            naming.netns_name(self.name, naming.SWITCH_HOST, self.prefix)
            if self.topology.link == "bridge" else None)
        self._procs: dict[int, subprocess.Popen[str]] = {}
        self._lock = threading.Lock()
        self._is_up = False
        self._record: state.LabRecord | None = None
        self.impairments: Any = None  # set up lazily by impair.Impairments

    # -- lookups -----------------------------------------------------------
    def host(self, name: str) -> Host:
        try:
            return self.hosts[name]
        except KeyError:
            raise KeyError(f"lab {self.name} has no host {name!r} "
                           f"(hosts: {', '.join(self.hosts)})") from None

    def __getitem__(self, name: str) -> Host:
        return self.host(name)

    @property
    def host_list(self) -> list[Host]:
        return list(self.hosts.values())

    @property
    def workdir(self) -> Path:
        """Per-lab directory for peer configs, logs, pid files, captures."""
        path = self.state_dir / "files"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def pid_dir(self) -> Path:
        return self.state_dir / "pids"

    @property
    def namespaces(self) -> list[str]:
        names = [h.netns for h in self.hosts.values()]
        return names + ([self.switch_netns] if self.switch_netns else [])

    def __repr__(self) -> str:
        return f"Lab({self.name!r}, {self.topology.name}, hosts={list(self.hosts)})"

    # -- lifecycle ---------------------------------------------------------
    def up(self) -> Lab:
        """Build the lab; on any failure remove what was built and re-raise."""
        if self._is_up:
            return self
        clash = [ns for ns in self.namespaces if nsutil.exists(ns)]
        if clash or self.state_dir.exists():
            raise FileExistsError(f"lab {self.name} already exists ({self.state_dir}); "
                                  f"`lab down {self.name}` first")
        self._record = state.LabRecord(name=self.name, prefix=self.prefix,
                                       topology=self.topology.name, link=self.topology.link,
                                       hosts=list(self.hosts), builder_pid=os.getpid())
        state.save(self._record)
        self._is_up = True
        _live[id(self)] = self
        try:
            self._build()
        except BaseException:
            self.down()
            raise
        self._record.phase = "up"
        state.save(self._record)
        return self

    def _build(self) -> None:
        for ns in self.namespaces:
            nsutil.create(ns)
        for h in self.hosts.values():
            netlink.prepare_ns(h.netns)
        if self.switch_netns is not None:
            sw = self.switch_netns
            netlink.prepare_ns(sw, ipv6=False)
            netlink.add_bridge(sw)
            for h in self.hosts.values():
                netlink.add_veth(sw, h.name, h.netns, h.ifname)
                netlink.enslave(sw, h.name)
        else:
            a, b = self.hosts.values()
            netlink.add_veth(a.netns, a.ifname, b.netns, b.ifname)
        for h in self.hosts.values():
            netlink.configure_host(h.netns, h.ifname, h.ipv4, h.ipv6)

    def down(self) -> None:
        """Stop every process started here, delete namespaces and state."""
        with self._lock:
            tracked = list(self._procs.values())
            self._procs.clear()
        for proc in tracked:
            procs.stop_popen(proc)
        teardown.remove_stem(self.stem, self.state_dir)
        self._is_up = False
        _live.pop(id(self), None)

    def keep(self) -> Lab:
        """Let the lab outlive this process (the atexit net will not remove it)."""
        _live.pop(id(self), None)
        return self

    def __enter__(self) -> Lab:
        return self.up()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.down()

    # -- processes ---------------------------------------------------------
    def popen_ns(self, netns: str, argv: list[str], *, log: Path | None = None,
                 stdout: int | IO[Any] | None = None, stderr: int | IO[Any] | None = None,
                 env: dict[str, str] | None = None, cwd: str | Path | None = None,
                 text: bool = True) -> subprocess.Popen[str]:
        """Start ``argv`` in any namespace of this lab, tracked like Host.popen."""
        if netns not in self.namespaces:
            raise ValueError(f"{netns} is not a namespace of lab {self.name}")
        handle = None
        if log is not None:
            handle = open(log, "ab")
            stdout, stderr = handle, subprocess.STDOUT
        try:
            proc = subprocess.Popen(["ip", "netns", "exec", netns, *argv],
                                    stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                    env=env, cwd=cwd, text=text, start_new_session=True)
        finally:
            if handle is not None:
                handle.close()
        self._track(proc, argv)
        return proc

    def _track(self, proc: subprocess.Popen[str], argv: list[str]) -> None:
        procs.record(self.pid_dir, proc.pid, argv)
        with self._lock:
            self._procs[proc.pid] = proc

    def _untrack(self, proc: subprocess.Popen[str], grace: float) -> int:
        code = procs.stop_popen(proc, grace)
        with self._lock:
            self._procs.pop(proc.pid, None)
        procs.forget(self.pid_dir, proc.pid)
        return code

    def status(self) -> dict[str, Any]:
        """What the lab is: names, addresses, running processes."""
        return {
            "name": self.name,
            "topology": self.topology.name,
            "link": self.topology.link,
            "switch_netns": self.switch_netns,
            "state_dir": str(self.state_dir),
            "hosts": {h.name: {"netns": h.netns, "ifname": h.ifname, "ipv4": h.ipv4,
                               "ipv6": h.ipv6} for h in self.hosts.values()},
            "pids": sorted(p for p, _ in procs.recorded(self.pid_dir) if procs.is_alive(p)),
        }


def up(topo: Topology | str, name: str | None = None, hosts: int | None = None) -> Lab:
    """Build and return a lab (``topo`` is a Topology or a topology name/path)."""
    return Lab(topo, name=name, hosts=hosts).up()


def attach(name: str) -> Lab:
    """A Lab object for a lab built by another process (e.g. ``lab up``)."""
    rec = state.load(naming.state_dir(name))
    if rec is None:
        raise LookupError(f"no lab named {name!r} (no {naming.state_dir(name)}/lab.json)")
    topo = Topology(name=rec.topology, link=rec.link, hosts=tuple(rec.hosts))
    lab = Lab(topo, name=rec.name)
    lab._is_up = True
    lab._record = rec
    return lab


def running() -> list[str]:
    """Names of labs (under the current prefix) that have a state record."""
    pfx = naming.prefix()
    out = []
    for d in state.all_dirs(pfx):
        rec = state.load(d)
        if rec is not None and rec.prefix == pfx:
            out.append(rec.name)
    return out


def down(name: str) -> None:
    """Remove the lab ``name`` (built by any process)."""
    naming.check_lab_name(name)
    teardown.remove_stem(naming.stem(name), naming.state_dir(name))
