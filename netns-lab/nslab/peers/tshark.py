# SPDX-License-Identifier: GPL-2.0-or-later
"""tshark captures in a lab host: start, wait until capturing, stop cleanly.

The capture is complete when ``stop()`` returns. Two facts shape it:
tshark prints "Capturing on" before dumpcap really captures (we wait for
its later "Capture started." message), and dumpcap reads the kernel's
TPACKET_V3 ring in blocks that are handed over up to its 250 ms read timeout
after their first packet, and frames still in an unfinished block are lost
if it is interrupted. So stop() first lets ``settle`` seconds (default
0.6 s, over twice that timeout) pass, then interrupts tshark (SIGINT), which
stops dumpcap through its control pipe and closes the pcap; only if that
hangs is it killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from ..host import Host
from .base import Daemon, PeerError


class Capture(Daemon):
    """``Capture(host, "udp port 123").start()`` ... ``stop()`` -> ``pcap_path``."""

    def __init__(self, host: Host, capture_filter: str = "", name: str = "capture",
                 interface: str | None = None) -> None:
        super().__init__(host, name)
        self.capture_filter = capture_filter
        self.interface = interface or host.ifname
        self.pcap_path = self.dir / f"{name}.pcap"

    def argv(self) -> list[str]:
        argv = ["tshark", "-n", "-q", "-i", self.interface, "-w", str(self.pcap_path)]
        if self.capture_filter:
            argv += ["-f", self.capture_filter]
        return argv

    def start(self, timeout: float = 30.0) -> Capture:
        if self.pcap_path.exists():
            self.pcap_path.unlink()
        super().start()
        # "Capturing on 'veth0'" comes before dumpcap has really started;
        # tshark's "Capture started." message comes once packets are being taken.
        self.wait_for("'Capture started'",
                      lambda: True if "Capture started" in self.log() else None, timeout)
        return self

    def stop(self, timeout: float = 10.0, settle: float = 0.6) -> int | None:
        """Let the last block reach dumpcap, interrupt tshark, wait for the pcap."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            time.sleep(settle)
            try:
                os.kill(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.host.stop(self.proc)

    def read(self, fields: list[str], display_filter: str = "",
             decode_as: list[str] | None = None) -> list[list[str]]:
        """Decode the pcap: one row per packet with the requested fields."""
        argv = ["tshark", "-n", "-r", str(self.pcap_path), "-T", "fields",
                "-E", "separator=\t", "-E", "occurrence=f"]
        for d in decode_as or []:
            argv += ["-d", d]
        if display_filter:
            argv += ["-Y", display_filter]
        for f in fields:
            argv += ["-e", f]
        res = self.host.run(argv, timeout=60)
        if res.returncode != 0:
            raise PeerError(f"tshark -r failed: {res.stderr}")
        return [line.split("\t") for line in res.stdout.splitlines()]
