# SPDX-License-Identifier: GPL-2.0-or-later
"""What every peer daemon shares: start in a host, wait on its log, stop by pid."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Callable, TypeVar

from ..host import Host

T = TypeVar("T")


NETNS_LAB_DIR = Path(__file__).resolve().parent.parent.parent


def python_env() -> dict[str, str]:
    """Environment in which ``python -m nslab.<tool>`` imports this nslab."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETNS_LAB_DIR), env.get("PYTHONPATH")]))
    return env


class PeerError(RuntimeError):
    """A peer failed to start or did not produce what was awaited (log attached)."""


class Daemon:
    """A long-running peer process whose stdout+stderr go to ``log_path``."""

    def __init__(self, host: Host, name: str) -> None:
        self.host = host
        self.name = name
        self.dir = host.workdir
        self.log_path: Path = self.dir / f"{name}.log"
        self.proc: subprocess.Popen[str] | None = None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write config files before start (subclasses)."""

    def environ(self) -> dict[str, str] | None:
        """Environment for the daemon (None: inherit)."""
        return None

    def start(self) -> Daemon:
        if self.proc is not None:
            raise PeerError(f"{self.name} on {self.host.name} already started")
        self.prepare()
        self.log_path.write_text("", encoding="utf-8")
        self.proc = self.host.popen(self.argv(), log=self.log_path, env=self.environ())
        return self

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise PeerError(f"{self.name} not started")
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        """Stop by pid (SIGTERM, then SIGKILL); returns the exit code."""
        if self.proc is None:
            return None
        code = self.host.stop(self.proc)
        return code

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float) -> T:
        """Poll ``probe`` until it returns non-None; fail with the log on timeout
        or when the daemon dies."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value is not None:
                return value
            if not self.running():
                raise PeerError(f"{self.name} on {self.host.name} exited "
                                f"(code {self.proc.returncode if self.proc else None}) "
                                f"before {what}; log:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise PeerError(f"{self.name} on {self.host.name}: no {what} within "
                                f"{timeout} s; log:\n{self.log()[-3000:]}")
            time.sleep(0.05)

    def __enter__(self: T) -> T:
        self.start()  # type: ignore[attr-defined]
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
