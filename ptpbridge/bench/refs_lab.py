# SPDX-License-Identifier: GPL-2.0-or-later
"""Our daemon following references in a lab host, for `ptpbridge bench refs` and tests/references.

The config is examples/lab-references.toml with the servers, start error,
holdover budget and optional tables swapped in, so what the lab runs is
what the example documents.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ptpbridge.bench.lab_daemon import LabDaemon, example_with
from ptpbridge.bench.ntp_lab import LAB_ALLOW

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab-references.toml"
EXAMPLE_SERVERS = ("198.18.0.1", "198.18.0.2", "198.18.0.3")


def refs_config(servers: tuple[str, ...] | list[str], *, time_error_ns: int = 3_000_000,
                frequency_error_ppb: int = 20_000, budget_s: float = 60.0, degraded_class: int = 248,
                minpoll: int = 0, maxpoll: int = 2, local_stratum: int | None = None, extra: str = "") -> str:
    """examples/lab-references.toml following `servers` (up to three)."""
    text = example_with(EXAMPLE, {
        "time_error_ns = 3000000": f"time_error_ns = {time_error_ns}",
        "frequency_error_ppb = 20000": f"frequency_error_ppb = {frequency_error_ppb}",
        "budget_s = 60": f"budget_s = {budget_s}",
        "degraded_class = 248": f"degraded_class = {degraded_class}",
    })
    text = text.replace("minpoll = 0", f"minpoll = {minpoll}").replace("maxpoll = 2", f"maxpoll = {maxpoll}")
    blocks = text.split("[[reference]]\n")
    head, entries = blocks[0], blocks[1:]
    ntp_entries = [e for e in entries if 'type = "ntp"' in e]
    if len(servers) > len(ntp_entries):
        raise ValueError(f"{EXAMPLE} has {len(ntp_entries)} ntp references, not {len(servers)}")
    kept = [entry.replace(f'server = "{EXAMPLE_SERVERS[i]}"', f'server = "{server}"')
            for i, (entry, server) in enumerate(zip(ntp_entries, servers))]
    tail = entries[-1].split("\n\n", 1)[1] if "\n\n" in entries[-1] else ""
    kept = [k.split("\n\n", 1)[0] + "\n" for k in kept]
    out = head + "".join(f"[[reference]]\n{k}\n" for k in kept)
    if local_stratum is not None:
        out += f'[[reference]]\ntype = "local"\nstratum = {local_stratum}\n\n'
    allow = ", ".join(f'"{a}"' for a in LAB_ALLOW)
    out += tail.replace('allow = ["198.18.0.0/15", "fd00::/8"]', f"allow = [{allow}]")
    return out + "\n" + extra


class PtpbridgeRefs(LabDaemon):
    """`ptpbridge run` with [[reference]] entries; started once the references section exists."""

    SECTION = "references"

    def sources(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.command("sources")["sources"]
        return result

    def tracking(self) -> dict[str, Any]:
        result: dict[str, Any] = self.command("tracking")
        return result

    def true_time_error_ns(self) -> int:
        value = self.tracking()["true_time_error_ns"]
        if value is None:
            raise AssertionError("no true time error: the served clock is not simulated")
        return int(value)

    def wait_for_selection(self, timeout: float = 30.0) -> float:
        """Seconds from now until a reference is selected."""
        start = time.monotonic()

        def probe() -> float | None:
            return time.monotonic() - start if self.tracking()["selected"] is not None else None

        waited: float = self.wait_for("a selected reference", probe, timeout)
        return waited

    def wait_for_state(self, state: str, timeout: float = 30.0) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            t = self.tracking()
            return t if t["state"] == state else None

        found: dict[str, Any] = self.wait_for(f"clock state {state}", probe, timeout)
        return found
