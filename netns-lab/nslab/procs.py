# SPDX-License-Identifier: GPL-2.0-or-later
"""Processes started in a lab: recorded on disk, stopped by pid only.

Each started process leaves ``<state>/pids/<pid>`` holding its kernel start
time, so a later ``lab down --all`` (even after the starter was SIGKILLed)
can stop exactly that process and never a stranger that reused the pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def start_time(pid: int) -> int | None:
    """Kernel start time (clock ticks since boot) of ``pid``, None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    fields = data[data.rindex(b")") + 2 :].split()
    return int(fields[19])


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data[data.rindex(b")") + 2 : data.rindex(b")") + 3] not in (b"Z", b"X")


def record(pid_dir: Path, pid: int, argv: list[str]) -> None:
    """Write the pid file for ``pid`` so cleanup can find it later."""
    pid_dir.mkdir(parents=True, exist_ok=True)
    st = start_time(pid)
    (pid_dir / str(pid)).write_text(f"{st}\n{' '.join(argv)}\n", encoding="utf-8")


def forget(pid_dir: Path, pid: int) -> None:
    try:
        (pid_dir / str(pid)).unlink()
    except FileNotFoundError:
        pass


def recorded(pid_dir: Path) -> list[tuple[int, int | None]]:
    """(pid, start time) pairs recorded under ``pid_dir``."""
    out: list[tuple[int, int | None]] = []
    if not pid_dir.is_dir():
        return out
    for entry in pid_dir.iterdir():
        if not entry.name.isdigit():
            continue
        first = entry.read_text(encoding="utf-8").split("\n", 1)[0].strip()
        out.append((int(entry.name), int(first) if first.isdigit() else None))
    return out


def kill_pids(pids: list[tuple[int, int | None]], grace: float = 3.0) -> list[int]:
    """SIGTERM each live pid whose start time matches, SIGKILL after ``grace``.

    Returns the pids that were signalled.
    """
    targets = [p for p, st in pids if is_alive(p) and (st is None or start_time(p) == st)]
    for pid in targets:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(is_alive(p) for p in targets):
        _reap_children(targets)
        time.sleep(0.02)
    for pid in targets:
        if is_alive(pid):
            _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(is_alive(p) for p in targets):
        _reap_children(targets)
        time.sleep(0.02)
    _reap_children(targets)
    return targets


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _reap_children(pids: list[int]) -> None:
    """Collect the ones that are our own children so they do not linger as zombies."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def stop_popen(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 3.0) -> int:
    """Stop one process we started: SIGTERM, wait, SIGKILL; return its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode
