# SPDX-License-Identifier: GPL-2.0-or-later
"""Our daemon as an NTP server in a lab host, for the NTP benchmark and the tests.

`ptpbridge run --clock sim` in the host, its config and control socket in
the host's work directory; stopped by pid like every other lab peer. The
simulated clock has no error unless the config says otherwise, so what a
client measures against the lab's one CLOCK_REALTIME is the server's own
error.
"""

from __future__ import annotations

import sys
from typing import Any

from nslab.host import Host
from nslab.peers.base import Daemon, PeerError
from ptpbridge.daemon.control import ControlError, request

# Serves the whole lab, nothing else.
LAB_ALLOW = ("198.18.0.0/15", "fd00::/8")


def ntp_config(*, workers: int = 1, allow: tuple[str, ...] = LAB_ALLOW, extra: str = "",
               stratum: int = 1) -> str:
    """A TOML config for a lab NTP server (`extra` goes inside [ntp], then any tables)."""
    allowed = ", ".join(f'"{a}"' for a in allow)
    return (f'[clock.sim]\ntime_error_ns = 0\n\n[ntp]\nlocal_stratum = {stratum}\nreference_id = "PHC"\n'
            f"allow = [{allowed}]\nworkers = {workers}\n{extra}\n")


class PtpbridgeNtp(Daemon):
    """`ptpbridge run` with an [ntp] server in one lab host."""

    def __init__(self, host: Host, config: str, name: str = "ptpbridge") -> None:
        super().__init__(host, name)
        self.config = config
        self.conf_path = self.dir / f"{name}.toml"
        self.control = self.dir / f"{name}.sock"

    def prepare(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(self.config, encoding="utf-8")

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "ptpbridge", "run", "--config", str(self.conf_path),
                "--interface", self.host.ifname, "--clock", "sim", "--control", str(self.control)]

    def start(self, timeout: float = 30.0) -> PtpbridgeNtp:
        super().start()
        self.wait_for("NTP workers", self._ready, timeout)
        return self

    def _ready(self) -> bool | None:
        try:
            ntp = self.status().get("ntp")
        except ControlError:
            return None
        return True if ntp and all(w["alive"] for w in ntp["workers"]) else None

    def command(self, command: str, **params: Any) -> Any:
        if not self.running():
            raise PeerError(f"{self.name} on {self.host.name} is not running; log:\n{self.log()[-3000:]}")
        return request(self.control, command, **params)

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = request(self.control, "status")
        return result

    def ntp(self) -> dict[str, Any]:
        """The `ntp` section of `ptpbridge status`."""
        section: dict[str, Any] = self.command("status")["ntp"]
        return section

    def clients(self) -> dict[str, Any]:
        result: dict[str, Any] = self.command("ntp_clients")
        return result
