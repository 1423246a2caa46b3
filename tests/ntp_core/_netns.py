# SPDX-License-Identifier: GPL-2.0-or-later
"""Network namespaces for the NTP tests: created with a pb-ntp- prefix, always deleted."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "pb-ntp-"
PYTHON = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python")
HERE = Path(__file__).resolve().parent


def netns_available() -> str | None:
    """None when we can make namespaces here, else the reason we cannot."""
    if os.geteuid() != 0:
        return "needs root for network namespaces"
    if shutil.which("ip") is None:
        return "iproute2 (ip) not installed"
    return None


@contextmanager
def namespace() -> Iterator[str]:
    """A fresh namespace with loopback up; deleted afterwards whatever happens."""
    name = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def spawn(ns: str, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process inside `ns`, output to `log`."""
    out = open(log, "wb")
    try:
        return subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=out, stderr=subprocess.STDOUT)
    finally:
        out.close()


def stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Stop one process we started, by its pid: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def wait_for(path: Path, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists():
            return True
        time.sleep(0.05)
    return False
