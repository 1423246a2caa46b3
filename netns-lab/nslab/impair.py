# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-link impairments: delay, jitter, loss, rate, per direction.

Directions are seen from a host: ``tx`` delays what the host sends, ``rx``
what it receives; setting only one gives an asymmetric link.

Two backends give the same behaviour:

* ``netem``: tc netem through pyroute2, on the host's veth (tx) and on the
  far end of its link (rx: the switch port, or the other host in a pair);
* ``relay``: for kernels built without sch_netem (this project's CI kernel
  is one), the host's switch port is taken off the bridge and a user-space
  wire (nslab.relay) forwards between it and a fresh veth on the bridge.
  It needs a bridge topology.

``NSLAB_IMPAIR=netem|relay`` forces a backend; otherwise netem is probed
once in a scratch namespace and used when the kernel has it.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyroute2.netlink.exceptions import NetlinkError

from . import naming, netlink, nsutil, procs
from .relay import Spec

if TYPE_CHECKING:
    from .host import Host
    from .lab import Lab

NETNS_LAB_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Netem:
    """One direction's impairment. Times in integer nanoseconds."""

    delay_ns: int = 0
    jitter_ns: int = 0
    loss_pct: float = 0.0
    rate_bps: int = 0

    def __post_init__(self) -> None:
        if self.delay_ns < 0 or self.jitter_ns < 0 or self.rate_bps < 0:
            raise ValueError(f"impairment values must be >= 0: {self}")
        if not 0.0 <= self.loss_pct <= 100.0:
            raise ValueError(f"loss_pct must be within 0..100: {self.loss_pct}")
        if self.jitter_ns > self.delay_ns:
            raise ValueError("jitter larger than delay would need negative delays")

    def spec(self) -> Spec:
        return Spec(self.delay_ns, self.jitter_ns, self.loss_pct, self.rate_bps)


_netem_ok: bool | None = None


def netem_available() -> bool:
    """Whether this kernel has sch_netem (probed once in a scratch namespace)."""
    global _netem_ok
    if _netem_ok is None:
        probe = f"{naming.prefix()}probe{os.getpid()}"
        nsutil.create(probe)
        try:
            with netlink.open_ns(probe) as ipr:
                lo = ipr.link_lookup(ifname="lo")[0]
                try:
                    ipr.tc("add", kind="netem", index=lo, handle="1:", delay=1)
                    _netem_ok = True
                except NetlinkError as exc:
                    if exc.code not in (errno.ENOENT, errno.EOPNOTSUPP, errno.EINVAL):
                        raise
                    _netem_ok = False
        finally:
            nsutil.remove(probe)
    return _netem_ok


def backend() -> str:
    forced = os.environ.get("NSLAB_IMPAIR")
    if forced in ("netem", "relay"):
        return forced
    return "netem" if netem_available() else "relay"


# -- records ----------------------------------------------------------------
def _record_path(lab: Lab) -> Path:
    return lab.state_dir / "impair.json"


def recorded(lab: Lab) -> dict[str, dict[str, Any]]:
    """Impairments in force, per host (as written by apply())."""
    try:
        data: dict[str, dict[str, Any]] = json.loads(_record_path(lab).read_text("utf-8"))
        return data
    except (OSError, ValueError):
        return {}


def _save(lab: Lab, data: dict[str, dict[str, Any]]) -> None:
    _record_path(lab).write_text(json.dumps(data, indent=2), encoding="utf-8")


# -- netem --------------------------------------------------------------------
def _far_end(lab: Lab, host: Host) -> tuple[str, str]:
    """(netns, ifname) of the other end of the host's link."""
    if lab.switch_netns is not None:
        return lab.switch_netns, host.name
    other = next(h for h in lab.host_list if h is not host)
    return other.netns, other.ifname


def _set_netem(netns: str, ifname: str, spec: Netem | None) -> None:
    with netlink.open_ns(netns) as ipr:
        idx = ipr.link_lookup(ifname=ifname)[0]
        try:
            ipr.tc("del", index=idx, handle="1:", root=True)
        except NetlinkError as exc:
            if exc.code not in (errno.ENOENT, errno.EINVAL):
                raise
        if spec is None or spec == Netem():
            return
        kw: dict[str, Any] = {"delay": spec.delay_ns // 1000, "jitter": spec.jitter_ns // 1000,
                              "loss": spec.loss_pct}
        if spec.rate_bps:
            kw["rate"] = f"{spec.rate_bps}bit"
        ipr.tc("add", kind="netem", index=idx, handle="1:", **kw)


# -- relay --------------------------------------------------------------------
def _relay_names(host: Host) -> tuple[str, str, str]:
    """(port facing the host, relay-side veth, bridge-side veth)."""
    return host.name, f"{host.name}_r", f"{host.name}_b"


def _start_relay(lab: Lab, host: Host, tx: Netem, rx: Netem) -> int:
    sw = lab.switch_netns
    assert sw is not None
    port, rside, _ = _relay_names(host)
    log = lab.workdir / f"relay-{host.name}.log"
    log.write_text("", encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETNS_LAB_DIR), env.get("PYTHONPATH")]))
    proc = lab.popen_ns(sw, [sys.executable, "-m", "nslab.relay", port, rside,
                             "--a2b", tx.spec().format(), "--b2a", rx.spec().format()],
                        log=log, env=env)
    deadline = time.monotonic() + 20
    while "ready" not in log.read_text("utf-8"):
        if proc.poll() is not None or time.monotonic() > deadline:
            procs.stop_popen(proc)
            raise RuntimeError(f"impairment relay for {host.name} did not start: "
                               f"{log.read_text('utf-8')[-2000:]}")
        time.sleep(0.01)
    return proc.pid


def _stop_relay(lab: Lab, pid: int) -> None:
    proc = lab._procs.get(pid)
    if proc is not None:
        lab._untrack(proc, 3.0)
    else:
        procs.kill_pids([(pid, None)])
        procs.forget(lab.pid_dir, pid)


def _insert_relay(lab: Lab, host: Host) -> None:
    sw = lab.switch_netns
    assert sw is not None
    port, rside, bside = _relay_names(host)
    netlink.add_veth(sw, rside, sw, bside)
    netlink.link_up(sw, rside)


def _splice_relay(lab: Lab, host: Host) -> None:
    sw = lab.switch_netns
    assert sw is not None
    port, _, bside = _relay_names(host)
    netlink.release(sw, port)
    netlink.enslave(sw, bside)


def _remove_relay(lab: Lab, host: Host) -> None:
    sw = lab.switch_netns
    assert sw is not None
    port, rside, _ = _relay_names(host)
    netlink.delete_link(sw, rside)
    netlink.enslave(sw, port)


# -- public -------------------------------------------------------------------
def apply(lab: Lab, host: Host, tx: Netem | None = None, rx: Netem | None = None,
          persist: bool = False) -> str:
    """Impair ``host``'s link: ``tx`` for frames it sends, ``rx`` for frames it
    receives (None: none in that direction). Replaces earlier settings.
    Returns the backend used. ``persist``: the relay outlives this process."""
    tx = tx or Netem()
    rx = rx or Netem()
    data = recorded(lab)
    prev = data.get(host.name)
    kind = prev["backend"] if prev else backend()
    if kind == "netem":
        _set_netem(host.netns, host.ifname, tx)
        _set_netem(*_far_end(lab, host), rx)
        data[host.name] = {"backend": kind, "tx": asdict(tx), "rx": asdict(rx)}
    else:
        if lab.switch_netns is None:
            raise NotImplementedError(
                "this kernel has no sch_netem, and the relay backend needs a switch: "
                "impair a bridge topology (star, two-gm) instead of a pair")
        if prev is None:
            _insert_relay(lab, host)
            pid = _start_relay(lab, host, tx, rx)
            _splice_relay(lab, host)
        else:
            _stop_relay(lab, int(prev["relay_pid"]))
            pid = _start_relay(lab, host, tx, rx)
        data[host.name] = {"backend": kind, "tx": asdict(tx), "rx": asdict(rx),
                           "relay_pid": pid}
    _save(lab, data)
    if persist and kind == "relay":
        lab._procs.pop(int(data[host.name]["relay_pid"]), None)
    return str(kind)


def clear(lab: Lab, host: Host) -> None:
    """Remove every impairment of ``host``'s link, restoring a plain link."""
    data = recorded(lab)
    prev = data.pop(host.name, None)
    if prev is None:
        return
    if prev["backend"] == "netem":
        _set_netem(host.netns, host.ifname, None)
        _set_netem(*_far_end(lab, host), None)
    else:
        _stop_relay(lab, int(prev["relay_pid"]))
        _remove_relay(lab, host)
    _save(lab, data)
