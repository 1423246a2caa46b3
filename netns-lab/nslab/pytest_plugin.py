# SPDX-License-Identifier: GPL-2.0-or-later
"""pytest fixtures for namespace labs.

Labs need root; without it every lab fixture skips and says why. Labs are
always torn down (fixture finalizers, then an atexit net), and the session
ends with a check that no lab made by this process is left behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import pytest

from . import lab as lab_mod
from . import nsutil, teardown
from .lab import Lab
from .topology import Topology

MakeLab = Callable[..., Lab]

#: default size of the ``lab_star`` fixture
STAR_HOSTS = 3


def lab_skip_reason() -> str | None:
    """Why labs cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return f"nslab labs need root for network namespaces (euid is {os.geteuid()})"
    if shutil.which("ip") is None:
        return "nslab needs iproute2's `ip` (for `ip netns exec`)"
    return None


def require_lab() -> None:
    """Skip the calling test/fixture when labs cannot be built here."""
    reason = lab_skip_reason()
    if reason is not None:
        pytest.skip(reason)


def _factory() -> tuple[MakeLab, Callable[[], None]]:
    made: list[Lab] = []

    def make(topology: Topology | str = "pair", hosts: int | None = None,
             name: str | None = None) -> Lab:
        require_lab()
        lab = Lab(topology, name=name, hosts=hosts)
        made.append(lab)
        return lab.up()

    def cleanup() -> None:
        errors: list[BaseException] = []
        for lab in reversed(made):
            try:
                lab.down()
            except BaseException as exc:  # tear every lab down, then report
                errors.append(exc)
        if errors:
            raise errors[0]

    return make, cleanup


@pytest.fixture
def make_lab() -> Iterator[MakeLab]:
    """Factory ``make_lab(topology="pair", hosts=None, name=None) -> Lab``; labs die with the test."""
    make, cleanup = _factory()
    try:
        yield make
    finally:
        cleanup()


@pytest.fixture(scope="module")
def make_module_lab() -> Iterator[MakeLab]:
    """Like ``make_lab`` but the labs live until the module ends."""
    make, cleanup = _factory()
    try:
        yield make
    finally:
        cleanup()


@pytest.fixture(scope="module")
def lab_pair(make_module_lab: MakeLab) -> Lab:
    """Two hosts ``h1``, ``h2`` on one veth, shared by the module."""
    return make_module_lab("pair")


@pytest.fixture(scope="module")
def lab_star(make_module_lab: MakeLab) -> Lab:
    """``STAR_HOSTS`` hosts ``h1..hN`` on a bridge, shared by the module."""
    return make_module_lab("star", hosts=STAR_HOSTS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a lab this process made is still there; remove it."""
    if os.geteuid() != 0:
        return
    own = lab_mod.own_prefix()
    left = teardown.leftovers(own)
    if left["namespaces"] or left["state_dirs"] or left["pids"]:
        teardown.down_all(own)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"nslab: labs left behind and now removed: {left}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    others = [ns for ns in nsutil.list_netns() if ns.startswith("pblab-") and not ns.startswith(own)]
    if others:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"nslab: note: other pblab- namespaces exist (not ours): {others}")
