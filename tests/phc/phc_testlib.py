# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the phc tests (a unique module name: tests/ has no packages)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
NETNS_PREFIX = "pb-phc-"
_NETNS_DIR = Path("/run/netns")
# A namespace of ours older than this was left by a crashed run (ours live seconds).
_STALE_AFTER_S = 600


@dataclass(frozen=True)
class VethNamespace:
    name: str
    ifname: str
    peer: str

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace."""
        return subprocess.run(["ip", "netns", "exec", self.name, *argv],
                              capture_output=True, text=True, timeout=60, check=check)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        """Run a Python snippet with the project's interpreter inside the namespace."""
        return self.run(PYTHON, "-c", code, check=False)


def remove_stale_namespaces() -> None:
    from pyroute2 import netns

    if not _NETNS_DIR.is_dir():
        return
    for entry in _NETNS_DIR.iterdir():
        if entry.name.startswith(NETNS_PREFIX):
            try:
                if time.time() - entry.stat().st_mtime > _STALE_AFTER_S:
                    netns.remove(entry.name)
            except OSError:
                pass
