"""The demo: a star lab with our daemon on h1 and real clients on the others.

Everything it starts lives in lab namespaces and is stopped by pid when the
demo ends, also on Ctrl-C; the lab is always torn down.
"""

from __future__ import annotations

import math
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import TextIO

import nslab
from nslab.peers.chrony import Chronyd
from nslab.peers.ptp4l import Ptp4l, Ptp4lConfig
from ptpbridge.daemon.control import ControlError, request
from ptpbridge.demo.table import fmt_ns, render_table, rms

LAB_NAME = "demo"
# 8 Sync/s, 4 Announce/s, 3 missed Announces before a port gives up: lab-fast.
LOG_SYNC_INTERVAL = -3
LOG_ANNOUNCE_INTERVAL = -2
ANNOUNCE_RECEIPT_TIMEOUT = 3
# A slave's figures are taken once its port is SLAVE and the servo settled.
SETTLE_S = 3.0

GRANDMASTER_CONFIG = f"""\
# The demo's grandmaster: serves a simulated PHC (zero error against true
# TAI) over PTP (UDPv4, E2E) and NTP on the lab interface.
[ptp]
log_sync_interval = {LOG_SYNC_INTERVAL}
log_announce_interval = {LOG_ANNOUNCE_INTERVAL}
announce_receipt_timeout = {ANNOUNCE_RECEIPT_TIMEOUT}

[ntp]
allow = ["198.18.0.0/15", "fd00::/8"]
"""


@dataclass
class PtpSlaveView:
    name: str
    peer: Ptp4l
    locked_after_s: float | None = None
    offsets_ns: list[int] = field(default_factory=list)
    path_delay_ns: int | None = None
    state: str = "-"


@dataclass
class NtpClientView:
    name: str
    peer: Chronyd
    offsets_ns: list[int] = field(default_factory=list)
    delay_ns: int | None = None
    interleaved: bool = False


class Demo:
    def __init__(self, duration_s: float, out: TextIO, ntp: bool = True) -> None:
        self.duration_s = duration_s
        self.out = out
        self.ntp = ntp
        self.live = out.isatty()
        self.slaves: list[PtpSlaveView] = []
        self.ntp_clients: list[NtpClientView] = []
        self.started = time.monotonic()
        self.gm_line = "grandmaster: starting"

    # -- set-up ----------------------------------------------------------
    def start_grandmaster(self, lab: nslab.Lab) -> None:
        host = lab["h1"]
        config = lab.workdir / "grandmaster.toml"
        config.write_text(GRANDMASTER_CONFIG if self.ntp else GRANDMASTER_CONFIG.split("[ntp]")[0])
        self.control = lab.workdir / "ptpbridge.sock"
        self.gm_log = lab.workdir / "ptpbridge.log"
        self.gm = host.popen(
            [sys.executable, "-m", "ptpbridge", "run", "--config", str(config),
             "--interface", host.ifname, "--clock", "sim", "--control", str(self.control)],
            log=self.gm_log,
        )
        deadline = time.monotonic() + 20
        while not self.control.exists():
            if self.gm.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"our daemon did not start; its log:\n{self.gm_log.read_text()}")
            time.sleep(0.05)

    def start_clients(self, lab: nslab.Lab) -> None:
        for name in ("h2", "h3"):
            peer = Ptp4l(lab[name], Ptp4lConfig(
                role="slave", transport="UDPv4", delay_mechanism="E2E",
                log_sync_interval=LOG_SYNC_INTERVAL, log_announce_interval=LOG_ANNOUNCE_INTERVAL,
                announce_receipt_timeout=ANNOUNCE_RECEIPT_TIMEOUT,
                log_min_delay_req_interval=LOG_SYNC_INTERVAL, guarded=True,
            )).start()
            self.slaves.append(PtpSlaveView(f"{name} ptp4l", peer))
        if self.ntp:
            gm = lab["h1"]
            chronyd = Chronyd.client(lab["h4"], [gm.ipv4], minpoll=-2, maxpoll=-2, xleave=True)
            self.ntp_clients.append(NtpClientView("h4 chronyd", chronyd.start()))

    # -- figures ---------------------------------------------------------
    def refresh_grandmaster(self) -> None:
        """One line from our daemon's own status: what it believes it serves."""
        try:
            status = request(self.control, "status", timeout_s=2.0)
        except ControlError as exc:
            self.gm_line = f"grandmaster: status unavailable ({exc})"
            return
        parts = []
        for port in (status.get("ptp") or {}).get("ports", []):
            sent = port.get("sent", {})
            parts.append(f"PTP {port.get('interface')} {port.get('state')}, "
                         f"Sync sent {sent.get('SYNC', 0)}, Delay_Resp sent {sent.get('DELAY_RESP', 0)}")
        ntp = status.get("ntp")
        if ntp:
            counters = ntp.get("counters", {})
            parts.append(f"NTP replied {counters.get('replied', 0)}")
        self.gm_line = "grandmaster h1: " + ("; ".join(parts) or "no service running")

    def refresh(self) -> None:
        self.refresh_grandmaster()
        for view in self.slaves:
            states = view.peer.states()
            if states:
                view.state = states[-1].new
            if view.locked_after_s is None:
                locked = next((s for s in states if s.new == "SLAVE"), None)
                if locked is not None:
                    view.locked_after_s = locked.ts - self.started
            samples = view.peer.offsets()
            if samples:
                view.path_delay_ns = samples[-1].path_delay_ns
            if view.locked_after_s is not None:
                since = self.started + view.locked_after_s + SETTLE_S
                view.offsets_ns = [s.offset_ns for s in samples if s.ts >= since]
        for client in self.ntp_clients:
            measurements = client.peer.measurements()
            if measurements:
                client.delay_ns = measurements[-1].delay_ns
                client.interleaved = measurements[-1].interleaved
            # chronyd's first samples come before its filter settles.
            client.offsets_ns = [m.offset_ns for m in measurements[4:]]

    def ptp_rows(self) -> list[list[str]]:
        rows = []
        for v in self.slaves:
            last = v.offsets_ns[-1] if v.offsets_ns else None
            rows.append([v.name, "PTP", v.state,
                         f"{v.locked_after_s:.1f} s" if v.locked_after_s is not None else "-",
                         fmt_ns(last), fmt_ns(rms(v.offsets_ns), signed=False),
                         fmt_ns(max((abs(o) for o in v.offsets_ns), default=None), signed=False),
                         fmt_ns(v.path_delay_ns, signed=False)])
        for c in self.ntp_clients:
            last = c.offsets_ns[-1] if c.offsets_ns else None
            mode = "interleaved" if c.interleaved else ("basic" if c.offsets_ns else "-")
            rows.append([c.name, "NTP", mode, "-", fmt_ns(last),
                         fmt_ns(rms(c.offsets_ns), signed=False),
                         fmt_ns(max((abs(o) for o in c.offsets_ns), default=None), signed=False),
                         fmt_ns(c.delay_ns, signed=False)])
        return rows

    HEADERS = ["client", "proto", "state", "locked after", "last offset", "RMS", "max |offset|",
               "delay"]

    def draw(self, elapsed: float) -> None:
        waiting = [v.name for v in self.slaves if v.locked_after_s is None]
        progress = (f"waiting for {', '.join(waiting)} to lock" if waiting
                    else "all PTP slaves locked")
        text = (f"ptpbridge demo: grandmaster + NTP server on h1 (simulated PHC), "
                f"{elapsed:4.0f} / {self.duration_s:.0f} s, {progress}\n"
                f"{self.gm_line}\n\n"
                + render_table(self.HEADERS, self.ptp_rows()) + "\n")
        if self.live:
            self.out.write("\x1b[H\x1b[2J" + text)
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def summary(self) -> str:
        lines = ["", "Summary (offsets as the clients report them; PTP after lock + "
                 f"{SETTLE_S:.0f} s):"]
        lines.append(render_table(self.HEADERS, self.ptp_rows()))
        lines.append(self.gm_line)
        unlocked = [v.name for v in self.slaves if v.locked_after_s is None]
        if unlocked:
            lines.append(f"NOT locked: {', '.join(unlocked)} (see {self.gm_log})")
        return "\n".join(lines)

    def run(self) -> int:
        with lab_for_demo() as lab:
            self.started = time.monotonic()
            self.start_grandmaster(lab)
            self.start_clients(lab)
            next_draw = time.monotonic()
            while (elapsed := time.monotonic() - self.started) < self.duration_s:
                if self.gm.poll() is not None:
                    self.out.write(f"our daemon exited; its log:\n{self.gm_log.read_text()}\n")
                    return 1
                self.refresh()
                if time.monotonic() >= next_draw:
                    self.draw(elapsed)
                    next_draw += 1.0 if self.live else 5.0
                time.sleep(0.25)
            self.refresh()
            self.out.write(self.summary() + "\n")
            ok = all(v.locked_after_s is not None and not math.isnan(rms(v.offsets_ns))
                     for v in self.slaves)
            return 0 if ok else 1


@contextmanager
def lab_for_demo() -> Iterator[nslab.Lab]:
    """A fresh star lab; torn down on exit, on errors and on SIGTERM/SIGINT."""
    if LAB_NAME in nslab.running():
        nslab.down(LAB_NAME)  # left by a demo that was killed
    lab = nslab.up("star", name=LAB_NAME, hosts=4)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        yield lab
    finally:
        signal.signal(signal.SIGTERM, previous)
        lab.down()


def run_demo(duration_s: float, ntp: bool, out: TextIO = sys.stdout) -> int:
    try:
        return Demo(duration_s, out, ntp=ntp).run()
    except KeyboardInterrupt:
        out.write("\ninterrupted: lab torn down\n")
        return 130


__all__ = ["Demo", "run_demo"]
