# SPDX-License-Identifier: GPL-2.0-or-later
"""chronyd as a lab peer: an NTP server or a client, never touching the clock.

Every instance runs with ``-x`` (no clock control), ``-u root`` (chronyd
would otherwise drop to its own user and lose access to our files) and
``-d`` (foreground), under nslab.clockguard as a second safety net. It gets
its own config, pid, drift, log directory and command socket in
``host.workdir``; ``cmdport 0`` closes the UDP command port, so nothing
collides with another chronyd, in the lab or in the root namespace.

Client samples come from the measurements log (``log measurements``, or
``rawmeasurements`` for every packet). Its columns, per chrony.conf(5):
date, time, address, leap, stratum, tests 1-3, 5-7, 4 max-delay tests,
local poll, remote poll, score, offset (theta: positive = local clock slow),
peer delay, peer dispersion, root delay, root dispersion, refid, then the
mode of the received packet ("4B" server/basic, "4I" server/interleaved, 1/2
for peers) and the sources of the local TX and RX timestamps (D daemon,
K kernel, H hardware).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from ..host import Host
from .base import Daemon, PeerError, python_env

MODE_NAMES = {"1": "active", "2": "passive", "4": "server"}

_LINE_RE = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d) (?P<addr>\S+)\s+(?P<leap>\S)\s+"
    r"(?P<stratum>\d+) (?P<t123>[01-]{3}) (?P<t567>[01-]{3}) (?P<tabcd>[01-]{4})\s+"
    r"(?P<lp>-?\d+)\s+(?P<rp>-?\d+)\s+(?P<score>\S+)\s+(?P<offset>\S+)\s+(?P<delay>\S+)\s+"
    r"(?P<disp>\S+)\s+(?P<rdelay>\S+)\s+(?P<rdisp>\S+)\s+(?P<refid>\S+)\s+"
    r"(?P<mode>\d)(?P<il>[BI])\s+(?P<txs>[DKH-])\s+(?P<rxs>[DKH-])\s*$")


@dataclass(frozen=True)
class ChronyMeasurement:
    """One line of chrony's measurements log. Times in integer nanoseconds."""

    date: str
    time: str
    address: str
    leap: str
    stratum: int
    tests_passed: bool
    local_poll: int
    remote_poll: int
    offset_ns: int
    delay_ns: int
    dispersion_ns: int
    root_delay_ns: int
    root_dispersion_ns: int
    refid: str
    mode: int
    interleaved: bool
    tx_source: str
    rx_source: str


def _ns(text: str) -> int:
    return round(float(text) * 1e9)


def parse_measurements(text: str) -> list[ChronyMeasurement]:
    """Parse a measurements (or rawmeasurements) log, skipping banners."""
    out = []
    for line in text.splitlines():
        m = _LINE_RE.match(line)
        if not m:
            continue
        tests = m["t123"] + m["t567"] + m["tabcd"]
        out.append(ChronyMeasurement(
            date=m["date"], time=m["time"], address=m["addr"], leap=m["leap"],
            stratum=int(m["stratum"]), tests_passed="0" not in tests,
            local_poll=int(m["lp"]), remote_poll=int(m["rp"]),
            offset_ns=_ns(m["offset"]), delay_ns=_ns(m["delay"]), dispersion_ns=_ns(m["disp"]),
            root_delay_ns=_ns(m["rdelay"]), root_dispersion_ns=_ns(m["rdisp"]),
            refid=m["refid"], mode=int(m["mode"]), interleaved=m["il"] == "I",
            tx_source=m["txs"], rx_source=m["rxs"]))
    return out


@dataclass
class ChronyConfig:
    """Server: ``local_stratum`` set, ``allow`` list. Client: ``servers`` set.

    ``keys`` maps key ID -> (hash, secret) for the key file, e.g.
    ``{1: ("SHA256", "HEX:00...")}``; ``key_id`` makes the client use one.
    """

    servers: list[str] = field(default_factory=list)
    local_stratum: int | None = None
    allow: list[str] = field(default_factory=list)
    minpoll: int = -3
    maxpoll: int = -3
    iburst: bool = True
    xleave: bool = False
    key_id: int | None = None
    keys: dict[int, tuple[str, str]] = field(default_factory=dict)
    raw_measurements: bool = False
    port: int | None = None
    extra: list[str] = field(default_factory=list)


class Chronyd(Daemon):
    """A chronyd instance on one lab host."""

    def __init__(self, host: Host, config: ChronyConfig, name: str = "chronyd") -> None:
        super().__init__(host, name)
        self.config = config
        self.conf_path = self.dir / f"{name}.conf"
        self.run_dir = self.dir / f"{name}.run"
        self.log_dir = self.dir / f"{name}.logs"
        self.sock_path = self.run_dir / "chronyd.sock"
        self.pid_path = self.run_dir / "chronyd.pid"
        self.key_path = self.dir / f"{name}.keys"

    @classmethod
    def server(cls, host: Host, stratum: int = 1, allow: list[str] | None = None,
               keys: dict[int, tuple[str, str]] | None = None, name: str = "chronyd",
               extra: list[str] | None = None) -> Chronyd:
        return cls(host, ChronyConfig(local_stratum=stratum, allow=allow or ["all"],
                                      keys=keys or {}, port=123, extra=extra or []), name)

    @classmethod
    def client(cls, host: Host, servers: list[str], *, minpoll: int = -3, maxpoll: int = -3,
               xleave: bool = False, key_id: int | None = None,
               keys: dict[int, tuple[str, str]] | None = None, raw: bool = False,
               name: str = "chronyd", extra: list[str] | None = None) -> Chronyd:
        return cls(host, ChronyConfig(servers=servers, minpoll=minpoll, maxpoll=maxpoll,
                                      xleave=xleave, key_id=key_id, keys=keys or {},
                                      raw_measurements=raw, port=0, extra=extra or []), name)

    def render(self) -> str:
        c = self.config
        lines = ["# written by nslab.peers.chrony",
                 f"pidfile {self.pid_path}",
                 f"driftfile {self.run_dir / 'chronyd.drift'}",
                 f"bindcmdaddress {self.sock_path}",
                 "cmdport 0",
                 f"logdir {self.log_dir}",
                 f"log {'rawmeasurements' if c.raw_measurements else 'measurements'}"]
        if c.port is not None:
            lines.append(f"port {c.port}")
        if c.keys:
            lines.append(f"keyfile {self.key_path}")
        for addr in c.servers:
            opts = [f"minpoll {c.minpoll}", f"maxpoll {c.maxpoll}"]
            if c.iburst:
                opts.append("iburst")
            if c.xleave:
                opts.append("xleave")
            if c.key_id is not None:
                opts.append(f"key {c.key_id}")
            lines.append(f"server {addr} {' '.join(opts)}")
        if c.local_stratum is not None:
            lines.append(f"local stratum {c.local_stratum}")
        lines += [f"allow {a}" for a in c.allow]
        lines += c.extra
        return "\n".join(lines) + "\n"

    def prepare(self) -> None:
        for d in (self.run_dir, self.log_dir):
            d.mkdir(mode=0o700, exist_ok=True)
        if self.config.keys:
            self.key_path.write_text(
                "".join(f"{kid} {h} {secret}\n" for kid, (h, secret) in self.config.keys.items()),
                encoding="utf-8")
            self.key_path.chmod(0o600)
        self.conf_path.write_text(self.render(), encoding="utf-8")

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "nslab.clockguard", "--",
                "chronyd", "-x", "-d", "-u", "root", "-f", str(self.conf_path)]

    def environ(self) -> dict[str, str] | None:
        return python_env()

    def start(self) -> Chronyd:
        super().start()
        return self

    # -- results -----------------------------------------------------------
    def measurements(self) -> list[ChronyMeasurement]:
        name = "measurements.log"
        try:
            return parse_measurements((self.log_dir / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []

    def wait_for_measurements(self, count: int, timeout: float = 30.0,
                              after: int = 0) -> list[ChronyMeasurement]:
        """Wait until at least ``count`` samples exist beyond the first ``after``."""
        def probe() -> list[ChronyMeasurement] | None:
            found = self.measurements()[after:]
            return found if len(found) >= count else None
        return self.wait_for(f"{count} measurements", probe, timeout)

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until the command socket exists (chronyd has finished starting)."""
        self.wait_for("command socket", lambda: True if self.sock_path.exists() else None,
                      timeout)

    def chronyc(self, *args: str, timeout: float = 20.0) -> str:
        """Run chronyc against this instance's own socket (e.g. "-c", "sources")."""
        res = self.host.run(["chronyc", "-h", str(self.sock_path), *args], timeout=timeout)
        if res.returncode != 0:
            raise PeerError(f"chronyc {' '.join(args)} failed: {res.stderr or res.stdout}")
        return res.stdout
