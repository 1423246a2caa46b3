# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared pieces of the NTP server tests: the real CLI, request builders, polling."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.polling import wait_until

T = TypeVar("T")

MISSING = next((f"{tool} not installed" for tool in ("chronyd", "chronyc", "ntpdig", "tshark")
                if shutil.which(tool) is None), None)
PEERS = [pytest.mark.netns, pytest.mark.peers, pytest.mark.slow,
         pytest.mark.skipif(MISSING is not None, reason=str(MISSING))]

CLIENT_V4 = (4 << 3) | 3


def request(transmit: int, origin: int = 0, first: int = CLIENT_V4) -> bytes:
    """A 48-octet NTP request (first octet: leap, version, mode)."""
    return struct.pack("!B3x4x4x4xQQQQ", first, 0, origin, 0, transmit)


def cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`ptpbridge ARGS` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "ptpbridge", *args], capture_output=True, text=True,
                          timeout=timeout)


def cli_json(command: str, control: Path) -> Any:
    result = cli(command, "--json", "--control", str(control))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def poll(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll until `probe` returns non-None (an upper bound on waiting, not a timing assertion)."""
    return wait_until(what, probe, timeout, interval=0.1)
