# SPDX-License-Identifier: GPL-2.0-or-later
"""Our daemon as a PTP grandmaster in a lab host, for the PTP benchmarks and tests.

`ptpbridge run --clock sim` in the host with a `[ptp]` table, its config,
log and control socket in the host's work directory; stopped by pid like
every other lab peer. The simulated clock has no error, so what a slave
measures against the lab's one CLOCK_REALTIME is our own error.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from nslab.host import Host
from nslab.peers.base import Daemon, PeerError
from ptpbridge.daemon.control import ControlError, request

# Lab-fast defaults, the same as nslab's Ptp4lConfig so both grandmasters run alike.
LAB_PTP: dict[str, Any] = {
    "log_announce_interval": -3,
    "log_sync_interval": -3,
    "log_min_delay_req_interval": -3,
    "log_min_pdelay_req_interval": -3,
    "announce_receipt_timeout": 3,
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def ptp_config(extra: str = "", **ptp: Any) -> str:
    """A TOML config: a zero-error simulated clock and `[ptp]` with LAB_PTP updated by ``ptp``."""
    keys = {**LAB_PTP, **ptp}
    lines = ["[clock.sim]", "time_error_ns = 0", "", "[ptp]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n" + extra


class PtpbridgeGm(Daemon):
    """`ptpbridge run` with a `[ptp]` grandmaster in one lab host."""

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

    def start(self, timeout: float = 30.0) -> PtpbridgeGm:
        super().start()
        self.wait_for("the ptp status section", self._ptp_or_none, timeout)
        return self

    def _ptp_or_none(self) -> dict[str, Any] | None:
        try:
            section: dict[str, Any] | None = request(self.control, "status").get("ptp")
        except ControlError:
            return None
        return section

    def status(self) -> dict[str, Any]:
        if not self.running():
            raise PeerError(f"{self.name} on {self.host.name} is not running; log:\n{self.log()[-3000:]}")
        result: dict[str, Any] = request(self.control, "status")
        return result

    def ptp(self) -> dict[str, Any]:
        """The `ptp` section of `ptpbridge status`."""
        section: dict[str, Any] = self.status()["ptp"]
        return section

    def port_state(self, port: int = 1) -> str:
        state: str = self.ptp()["ports"][port - 1]["state"]
        return state

    def wait_for_port_state(self, state: str, timeout: float = 30.0, port: int = 1) -> float:
        """Wait until port ``port`` is in ``state``; returns when (time.monotonic())."""
        def probe() -> float | None:
            return time.monotonic() if self.port_state(port) == state else None

        return self.wait_for(f"port {port} in {state}", probe, timeout)
