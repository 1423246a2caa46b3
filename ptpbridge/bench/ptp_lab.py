# SPDX-License-Identifier: GPL-2.0-or-later
"""Our daemon as a PTP grandmaster in a lab host, for the PTP benchmarks and tests."""

from __future__ import annotations

import time
from typing import Any

from ptpbridge.bench.lab_daemon import SIM_CLOCK_TOML, LabDaemon

# Lab-fast defaults, the same as nslab's Ptp4lConfig so both grandmasters run alike.
LAB_PTP: dict[str, Any] = {
    "log_announce_interval": -3,
    "log_sync_interval": -3,
    "log_min_delay_req_interval": -3,
    "log_min_pdelay_req_interval": -3,
    "announce_receipt_timeout": 3,
}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def ptp_config(extra: str = "", **ptp: Any) -> str:
    """A TOML config: a zero-error simulated clock and `[ptp]` with LAB_PTP updated by ``ptp``."""
    keys = {**LAB_PTP, **ptp}
    lines = [SIM_CLOCK_TOML, "[ptp]", *(f"{key} = {toml_value(value)}" for key, value in keys.items())]
    return "\n".join(lines) + "\n" + extra


class PtpbridgeGm(LabDaemon):
    """`ptpbridge run` with a `[ptp]` grandmaster in one lab host."""

    SECTION = "ptp"

    def ptp(self) -> dict[str, Any]:
        """The `ptp` section of `ptpbridge status`."""
        return self.section()

    def port_state(self, port: int = 1) -> str:
        state: str = self.ptp()["ports"][port - 1]["state"]
        return state

    def wait_for_port_state(self, state: str, timeout: float = 30.0, port: int = 1) -> float:
        """Wait until port ``port`` is in ``state``; returns when (time.monotonic())."""
        def probe() -> float | None:
            return time.monotonic() if self.port_state(port) == state else None

        return self.wait_for(f"port {port} in {state}", probe, timeout)
