# SPDX-License-Identifier: GPL-2.0-or-later
"""One lab host: a namespace with one interface, and ways to run things in it."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, TypeVar

from . import nsutil, procs

if TYPE_CHECKING:
    from .impair import Netem
    from .lab import Lab

T = TypeVar("T")
Argv = list[str]


@dataclass
class Host:
    """A lab host. ``ifname`` is its only lab interface (``veth0``)."""

    lab: Lab
    name: str
    index: int
    netns: str
    ifname: str
    ipv4: str
    ipv6: str

    def __repr__(self) -> str:
        return f"Host({self.name!r}, netns={self.netns!r}, ipv4={self.ipv4!r})"

    @property
    def workdir(self) -> Path:
        """Per-host directory for configs, logs and pid files."""
        path = self.lab.workdir / self.name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _argv(self, argv: Argv) -> Argv:
        return ["ip", "netns", "exec", self.netns, *argv]

    def run(self, argv: Argv, *, check: bool = False, timeout: float = 60.0,
            input: str | None = None, env: dict[str, str] | None = None,
            cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` to completion inside the host; text output captured."""
        return subprocess.run(self._argv(argv), check=check, timeout=timeout, input=input,
                              env=env, cwd=cwd, capture_output=True, text=True)

    def popen(self, argv: Argv, *, log: Path | None = None,
              stdout: int | IO[Any] | None = None, stderr: int | IO[Any] | None = None,
              env: dict[str, str] | None = None, cwd: str | Path | None = None,
              text: bool = True) -> subprocess.Popen[str]:
        """Start ``argv`` in the host; the lab records its pid and stops it at down().

        ``log`` sends stdout and stderr to that file. ``ip netns exec`` execs the
        command, so the returned pid is the command's own.
        """
        return self.lab.popen_ns(self.netns, argv, log=log, stdout=stdout, stderr=stderr,
                                 env=env, cwd=cwd, text=text)

    def stop(self, proc: subprocess.Popen[str], grace: float = 3.0) -> int:
        """Stop a process started with popen(): SIGTERM, then SIGKILL."""
        return self.lab._untrack(proc, grace)

    def python(self, code: str, *args: str, timeout: float = 60.0,
               check: bool = False, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a Python snippet (this interpreter, so the venv) inside the host."""
        return self.run([sys.executable, "-c", code, *args], timeout=timeout,
                        check=check, input=input)

    @contextmanager
    def entered(self) -> Iterator[None]:
        """Switch the calling thread into the host's namespace for the body.

        Sockets created in the body stay in the namespace after it ends.
        """
        with nsutil.entered(self.netns):
            yield

    def socket(self, family: int = socket.AF_INET, type: int = socket.SOCK_DGRAM,
               proto: int = 0) -> socket.socket:
        """A socket that lives in the host's namespace (usable from any thread)."""
        return nsutil.in_thread(self.netns, lambda: socket.socket(family, type, proto))

    def in_thread(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` on a fresh thread that runs inside the host's namespace."""
        return nsutil.in_thread(self.netns, fn)

    def impair(self, tx: Netem | None = None, rx: Netem | None = None) -> str:
        """Impair this host's link (tx: what it sends, rx: what it receives).

        Replaces earlier settings; returns the backend ("netem" or "relay").
        """
        from . import impair
        return impair.apply(self.lab, self, tx=tx, rx=rx)

    def clear_impairments(self) -> None:
        from . import impair
        impair.clear(self.lab, self)

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 60.0, **kwargs: Any) -> T:
        """Call ``fn(*args, **kwargs)`` in a forked child inside the host.

        The result (or exception) must pickle; the child never returns to the
        caller's code, whatever happens.
        """
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            status = 0
            try:
                os.close(rfd)
                fd = os.open(nsutil.NETNS_DIR / self.netns, os.O_RDONLY)
                nsutil._setns(fd)
                try:
                    payload = pickle.dumps((True, fn(*args, **kwargs)))
                except BaseException as exc:  # report, do not unwind into the parent's code
                    payload = pickle.dumps((False, exc))
                with os.fdopen(wfd, "wb") as out:
                    out.write(payload)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(wfd)
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.append(_read_all(rfd)))
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            procs.kill_pids([(pid, None)], grace=0.5)
            reader.join()
            raise TimeoutError(f"{fn!r} in {self.netns} took more than {timeout} s")
        os.waitpid(pid, 0)
        data = chunks[0] if chunks else b""
        if not data:
            raise RuntimeError(f"child running {fn!r} in {self.netns} died without a result")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


def _read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as fh:
        return fh.read()
