# SPDX-License-Identifier: GPL-2.0-or-later
"""Removing labs: one by its record, or every leftover with a prefix.

Order matters: recorded processes first (by pid and start time), then any
process still inside a lab namespace, then the namespaces (their veths and
bridges go with them), then the state directory.
"""

from __future__ import annotations

from pathlib import Path

from . import naming, nsutil, procs, state


def _kill_in_namespaces(names: list[str]) -> list[int]:
    found: list[tuple[int, int | None]] = []
    for ns in names:
        found.extend((pid, procs.start_time(pid)) for pid in nsutil.pids_in(ns))
    return procs.kill_pids(found)


def remove_stem(stem: str, state_dir: Path | None) -> dict[str, list[str] | list[int]]:
    """Tear down every namespace named ``<stem>-*`` and the state dir."""
    killed: list[int] = []
    if state_dir is not None:
        killed += procs.kill_pids(procs.recorded(state_dir / "pids"))
    namespaces = [ns for ns in nsutil.list_netns() if ns.startswith(stem + "-")]
    killed += _kill_in_namespaces(namespaces)
    for ns in namespaces:
        nsutil.remove(ns)
    if state_dir is not None:
        state.remove_dir(state_dir)
    return {"namespaces": namespaces, "killed": killed}


def down_all(pfx: str | None = None) -> dict[str, list[str] | list[int]]:
    """Remove every lab (and every leftover) whose names start with ``pfx``."""
    pfx = pfx if pfx is not None else naming.prefix()
    if not pfx.startswith(naming.BASE_PREFIX):
        raise ValueError(f"refusing prefix {pfx!r}: not under {naming.BASE_PREFIX!r}")
    killed: list[int] = []
    for d in state.all_dirs(pfx):
        killed += procs.kill_pids(procs.recorded(d / "pids"))
    namespaces = [ns for ns in nsutil.list_netns() if ns.startswith(pfx)]
    killed += _kill_in_namespaces(namespaces)
    for ns in namespaces:
        nsutil.remove(ns)
    dirs = state.all_dirs(pfx)
    for d in dirs:
        state.remove_dir(d)
    return {"namespaces": namespaces, "killed": killed, "state_dirs": [d.name for d in dirs]}


def leftovers(pfx: str | None = None) -> dict[str, list[str] | list[int]]:
    """What of ours still exists: namespaces, state dirs, processes inside."""
    pfx = pfx if pfx is not None else naming.prefix()
    namespaces = [ns for ns in nsutil.list_netns() if ns.startswith(pfx)]
    pids: list[int] = []
    for ns in namespaces:
        pids += nsutil.pids_in(ns)
    for d in state.all_dirs(pfx):
        pids += [p for p, st in procs.recorded(d / "pids")
                 if procs.is_alive(p) and (st is None or procs.start_time(p) == st)]
    return {"namespaces": namespaces, "state_dirs": [d.name for d in state.all_dirs(pfx)],
            "pids": sorted(set(pids))}
