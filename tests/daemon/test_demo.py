# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge demo` (what `make demo` runs) as a user runs it: a real lab, real clients, a real end."""

from __future__ import annotations

import re
import subprocess
import sys

import nslab
from ptpbridge.demo.runner import LAB_NAME

# A number with its unit, as the demo's table prints an offset.
_OFFSET = re.compile(r"^[+-]\d+(\.\d+)? (ns|us|ms)$")


def summary_rows(output: str) -> dict[str, list[str]]:
    """The Summary table's rows by client name (the first two columns joined, e.g. "h4 chronyd")."""
    block = output.split("Summary (", 1)[1]
    rows: dict[str, list[str]] = {}
    for line in block.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 5 and re.match(r"^h\d+ ", cells[0]):
            rows[cells[0]] = cells
    return rows


def test_demo_shows_locked_ptp_slaves_and_the_ntp_clients_offset() -> None:
    proc = subprocess.run([sys.executable, "-m", "ptpbridge", "demo", "--duration", "15"],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = summary_rows(proc.stdout)
    ptp = {name: cells for name, cells in rows.items() if cells[1] == "PTP"}
    ntp = {name: cells for name, cells in rows.items() if cells[1] == "NTP"}
    assert len(ptp) >= 2 and all(cells[2] == "SLAVE" for cells in ptp.values()), rows
    # The chronyd client's own offset from our NTP server, beside the PTP slaves.
    assert ntp, rows
    for name, cells in ntp.items():
        assert cells[2] in ("basic", "interleaved"), (name, cells)
        assert _OFFSET.match(cells[4]), (name, cells)
    assert LAB_NAME not in nslab.running()  # torn down: no namespace left behind
