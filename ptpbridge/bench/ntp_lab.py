# SPDX-License-Identifier: GPL-2.0-or-later
"""Our daemon as an NTP server in a lab host, for the NTP benchmark and the tests."""

from __future__ import annotations

from typing import Any

from ptpbridge.bench.lab_daemon import SIM_CLOCK_TOML, LabDaemon

# Serves the whole lab, nothing else.
LAB_ALLOW = ("198.18.0.0/15", "fd00::/8")


def ntp_config(*, workers: int = 1, allow: tuple[str, ...] = LAB_ALLOW, extra: str = "",
               stratum: int = 1) -> str:
    """A TOML config for a lab NTP server (`extra` goes inside [ntp], then any tables)."""
    allowed = ", ".join(f'"{a}"' for a in allow)
    return (f'{SIM_CLOCK_TOML}\n[ntp]\nlocal_stratum = {stratum}\nreference_id = "PHC"\n'
            f"allow = [{allowed}]\nworkers = {workers}\n{extra}\n")


class PtpbridgeNtp(LabDaemon):
    """`ptpbridge run` with an [ntp] server in one lab host; started once every worker is alive."""

    SECTION = "ntp"

    def section_ready(self, section: dict[str, Any]) -> bool:
        return all(w["alive"] for w in section.get("workers", ()))

    def ntp(self) -> dict[str, Any]:
        """The `ntp` section of `ptpbridge status`."""
        return self.section()

    def clients(self) -> dict[str, Any]:
        result: dict[str, Any] = self.command("ntp_clients")
        return result
