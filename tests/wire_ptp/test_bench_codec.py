# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench codec` runs and prints its table (no timing is asserted: that is the command's job)."""

from __future__ import annotations

import re
import subprocess
import sys


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ptpbridge", "bench", "codec", *args], capture_output=True, text=True, timeout=120
    )


def test_bench_prints_a_row_per_type_and_the_verdict() -> None:
    result = _bench("--seconds", "1", "--round-ms", "0.5", "--types", "SYNC,Delay_Resp,management")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if re.match(r"^(Sync|Delay_Resp|Management) ", line)]
    assert [r.split()[0] for r in rows] == ["Sync", "Delay_Resp", "Management"]
    for row in rows:
        assert len(re.findall(r"\d+x", row)) == 3  # build, template and parse ratios
    assert "lowest ratio over the at-rate messages" in result.stdout
    assert "Management *" in result.stdout


def test_bench_unknown_type() -> None:
    result = _bench("--seconds", "1", "--types", "NOPE")
    assert result.returncode == 2
    assert "no such message type" in result.stdout
