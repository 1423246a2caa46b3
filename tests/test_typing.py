"""The typed core of the project stays mypy --strict clean (one run for all)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Everything we own and type; scapy layer modules opt out line by line, not here.
TYPED = ["phc", "ptpbridge", "netns-lab/nslab"]


def test_mypy_strict_clean() -> None:
    targets = [str(ROOT / t) for t in TYPED if (ROOT / t).exists()]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *targets],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
