# SPDX-License-Identifier: GPL-2.0-or-later
"""Network-namespace primitives: create, remove, enter, list processes.

Entering is per thread (setns(CLONE_NEWNET) is allowed in a threaded
process), so a socket made inside ``entered()`` stays in the namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, TypeVar

from pyroute2 import netns as _netns

NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
T = TypeVar("T")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns failed: {os.strerror(err)}")


def list_netns() -> list[str]:
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir())
    except FileNotFoundError:
        return []


def exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def create(name: str) -> None:
    """Create a named namespace (like ``ip netns add``); fails if it exists."""
    if exists(name):
        raise FileExistsError(f"network namespace {name} already exists")
    _netns.create(name)


def remove(name: str) -> None:
    """Unmount and unlink a named namespace; it dies with its last user."""
    if exists(name):
        _netns.remove(name)


@contextlib.contextmanager
def entered(name: str) -> Iterator[None]:
    """Run the body with the calling thread inside namespace ``name``."""
    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(NETNS_DIR / name, os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(back)
    finally:
        os.close(target)
        os.close(back)


def in_thread(name: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` in a fresh thread inside ``name`` and return its result.

    A fresh thread keeps a failure to switch back from poisoning the caller.
    """
    box: dict[str, object] = {}

    def body() -> None:
        try:
            with entered(name):
                box["value"] = fn()
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    thread = threading.Thread(target=body, name=f"nslab-{name}")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def write_sysctl(name: str, key: str, value: str) -> None:
    """Set a net.* sysctl as seen from inside namespace ``name``."""
    path = "/proc/sys/" + key.replace(".", "/")

    def body() -> None:
        with open(path, "w", encoding="ascii") as fh:
            fh.write(value)

    in_thread(name, body)


def pids_in(name: str) -> list[int]:
    """Processes whose network namespace is ``name`` (like ``ip netns pids``)."""
    try:
        st = os.stat(NETNS_DIR / name)
    except FileNotFoundError:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ns = os.stat(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        if ns.st_ino == st.st_ino and ns.st_dev == st.st_dev:
            found.append(int(entry))
    return found
