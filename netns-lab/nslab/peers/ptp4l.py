# SPDX-License-Identifier: GPL-2.0-or-later
"""linuxptp's ptp4l as a lab peer: master or slave, software timestamps.

Both roles run with ``free_running 1`` by default, so ptp4l never touches
the shared CLOCK_REALTIME. What that means for a slave (checked against
linuxptp 3.1 and its source): its servo is bypassed, every sample is
reported as state ``s0`` and the port stays UNCALIBRATED (it reaches
UNCALIBRATED "on RS_SLAVE" once BMCA picks the master, but the switch to
SLAVE needs a locked servo, which a free-running clock never has). It prints
one "master offset" line per frequency-estimation interval, so we set
``freq_est_interval 0`` and ``summary_interval`` equal to logSyncInterval:
one line a second.

``guarded=True`` runs the slave with ``free_running 0`` under
nslab.clockguard instead: the servo runs (s0 -> s1 -> s2, port SLAVE, one
line per Sync) while a seccomp filter turns every clock adjustment into a
no-op, so the shared clock still never moves.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from ..host import Host
from .base import Daemon, python_env

TRANSPORTS = ("UDPv4", "UDPv6", "L2")
DELAYS = ("E2E", "P2P")

_STATE_RE = re.compile(
    r"ptp4l\[(?P<ts>[\d.]+)\]: port (?P<port>\d+)(?: \((?P<iface>[^)]+)\))?: "
    r"(?P<old>[A-Z_]+) to (?P<new>[A-Z_]+) on (?P<event>[A-Z_]+)")
_OFFSET_RE = re.compile(
    r"ptp4l\[(?P<ts>[\d.]+)\]: master offset\s+(?P<offset>-?\d+) s(?P<state>\d) "
    r"freq\s+(?P<freq>[+-]?\d+) path delay\s+(?P<delay>-?\d+)")
_SUMMARY_RE = re.compile(
    r"ptp4l\[(?P<ts>[\d.]+)\]: rms\s+(?P<rms>\d+) max\s+(?P<max>\d+) "
    r"freq\s+(?P<freq>[+-]?\d+) \+/-\s+(?P<freq_sd>\d+)"
    r"(?: delay\s+(?P<delay>-?\d+) \+/-\s+(?P<delay_sd>\d+))?")


@dataclass(frozen=True)
class PortStateChange:
    """One "port N: OLD to NEW on EVENT" line; ``ts`` is ptp4l's monotonic seconds."""

    ts: float
    port: int
    old: str
    new: str
    event: str


@dataclass(frozen=True)
class OffsetSample:
    """One "master offset" line: ns offset, servo state, ppb freq, ns path delay."""

    ts: float
    offset_ns: int
    servo_state: int
    freq_ppb: int
    path_delay_ns: int


@dataclass(frozen=True)
class Summary:
    """One "rms ... max ..." summary line (when summary_interval > logSyncInterval)."""

    ts: float
    rms_ns: int
    max_ns: int
    freq_ppb: int
    freq_sd_ppb: int
    delay_ns: int | None
    delay_sd_ns: int | None


@dataclass
class Ptp4lConfig:
    """The options a lab ptp4l needs; ``extra`` adds any other [global] option."""

    role: str = "slave"  # "master" | "slave" | "auto" (BMCA decides)
    transport: str = "UDPv4"
    delay_mechanism: str = "E2E"
    log_announce_interval: int = -3
    announce_receipt_timeout: int = 3
    log_sync_interval: int = -3
    log_min_delay_req_interval: int = -3
    log_min_pdelay_req_interval: int = -3
    priority1: int = 128
    priority2: int = 128
    domain: int = 0
    guarded: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.role not in ("master", "slave", "auto"):
            raise ValueError(f"ptp4l role must be master, slave or auto: {self.role!r}")
        if self.transport not in TRANSPORTS:
            raise ValueError(f"ptp4l transport must be one of {TRANSPORTS}: {self.transport!r}")
        if self.delay_mechanism not in DELAYS:
            raise ValueError(f"ptp4l delay mechanism must be one of {DELAYS}")

    def render(self, ifname: str, uds_path: str) -> str:
        free_running = 0 if self.guarded else 1
        opts: dict[str, str] = {
            "time_stamping": "software",
            "free_running": str(free_running),
            "network_transport": self.transport,
            "delay_mechanism": self.delay_mechanism,
            "domainNumber": str(self.domain),
            "priority1": str(self.priority1),
            "priority2": str(self.priority2),
            "logAnnounceInterval": str(self.log_announce_interval),
            "announceReceiptTimeout": str(self.announce_receipt_timeout),
            "logSyncInterval": str(self.log_sync_interval),
            "logMinDelayReqInterval": str(self.log_min_delay_req_interval),
            "logMinPdelayReqInterval": str(self.log_min_pdelay_req_interval),
            "summary_interval": str(self.log_sync_interval),
            "freq_est_interval": "0",
            "uds_address": uds_path,
            "use_syslog": "0",
            "verbose": "1",
            "message_tag": "",
        }
        if self.guarded:
            # The PI servo waits 0.016/ki s before its first estimate; software
            # timestamping defaults to ki=0.001 (16 s). The adjustments go nowhere
            # (clockguard), so a quick estimate is all we need. The sanity check
            # would compare the real clock with the frequency ptp4l believes it set.
            opts["pi_integral_const"] = "0.1"
            opts["pi_proportional_const"] = "0.3"
            opts["sanity_freq_limit"] = "0"
        if self.role == "master":
            opts["masterOnly"] = "1"
        elif self.role == "slave":
            opts["slaveOnly"] = "1"
        opts.update(self.extra)
        lines = ["# written by nslab.peers.ptp4l", "[global]"]
        lines += [f"{k} {v}" for k, v in opts.items() if v != ""]
        lines += ["", f"[{ifname}]", ""]
        return "\n".join(lines)


class Ptp4l(Daemon):
    """A ptp4l instance on one lab host, talking over the host's lab interface."""

    def __init__(self, host: Host, config: Ptp4lConfig | None = None, name: str = "ptp4l") -> None:
        super().__init__(host, name)
        self.config = config or Ptp4lConfig()
        self.conf_path = self.dir / f"{name}.conf"
        self.uds_path = self.dir / f"{name}.sock"

    def prepare(self) -> None:
        self.conf_path.write_text(self.config.render(self.host.ifname, str(self.uds_path)),
                                  encoding="utf-8")

    def argv(self) -> list[str]:
        cmd = ["ptp4l", "-f", str(self.conf_path), "-m", "-q"]
        if self.config.guarded:
            return [sys.executable, "-m", "nslab.clockguard", "--", *cmd]
        return cmd

    def environ(self) -> dict[str, str] | None:
        if not self.config.guarded:
            return None
        return python_env()

    def start(self) -> Ptp4l:
        super().start()
        return self

    # -- parsed output -----------------------------------------------------
    def states(self) -> list[PortStateChange]:
        return [PortStateChange(float(m["ts"]), int(m["port"]), m["old"], m["new"], m["event"])
                for m in _STATE_RE.finditer(self.log())]

    def offsets(self) -> list[OffsetSample]:
        return [OffsetSample(float(m["ts"]), int(m["offset"]), int(m["state"]),
                             int(m["freq"]), int(m["delay"]))
                for m in _OFFSET_RE.finditer(self.log())]

    def summaries(self) -> list[Summary]:
        out = []
        for m in _SUMMARY_RE.finditer(self.log()):
            delay = int(m["delay"]) if m["delay"] is not None else None
            delay_sd = int(m["delay_sd"]) if m["delay_sd"] is not None else None
            out.append(Summary(float(m["ts"]), int(m["rms"]), int(m["max"]), int(m["freq"]),
                               int(m["freq_sd"]), delay, delay_sd))
        return out

    def port_state(self) -> str | None:
        """Latest state of port 1 as logged (None before the first change)."""
        states = [s for s in self.states() if s.port == 1]
        return states[-1].new if states else None

    def wait_for_state(self, state: str, timeout: float = 30.0) -> PortStateChange:
        """Wait until port 1 enters ``state`` (e.g. "SLAVE", "UNCALIBRATED", "MASTER")."""
        return self.wait_for(f"port state {state}", lambda: next(
            (s for s in self.states() if s.port == 1 and s.new == state), None), timeout)

    def wait_for_offsets(self, count: int, timeout: float = 30.0,
                         servo_state: int | None = None) -> list[OffsetSample]:
        """Wait for ``count`` offset lines (optionally only those in ``servo_state``)."""
        def probe() -> list[OffsetSample] | None:
            found = [o for o in self.offsets()
                     if servo_state is None or o.servo_state == servo_state]
            return found if len(found) >= count else None
        return self.wait_for(f"{count} offset reports", probe, timeout)
