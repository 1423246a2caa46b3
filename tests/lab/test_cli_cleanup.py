# SPDX-License-Identifier: GPL-2.0-or-later
"""The `lab` command: up/status/exec/down, crash recovery, and its speed.

Each test narrows the namespace prefix (NSLAB_PREFIX=pblab-c<pid>x-) so that
`lab down --all` runs its real code path without touching labs of other
test runs on the same machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nslab import netlink, nsutil, procs, teardown
from nslab.pytest_plugin import lab_skip_reason

pytestmark = [pytest.mark.netns]

LAB = Path(__file__).resolve().parents[2] / "netns-lab" / "lab"
OUR_ROOT_NAMES = {"br0", "veth0", "h1", "h2", "h3", "h4", "h1_r", "h1_b"}


@pytest.fixture
def prefix() -> Iterator[str]:
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    pfx = f"pblab-c{os.getpid()}x-"
    try:
        yield pfx
    finally:
        teardown.down_all(pfx)


def run_lab(pfx: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NSLAB_PREFIX=pfx)
    return subprocess.run([sys.executable, str(LAB), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def root_names() -> set[str]:
    return {str(link["ifname"]) for link in netlink.root_links()}


def test_up_status_exec_down(prefix: str) -> None:
    up = run_lab(prefix, "up", "two-gm", "--name", "cli", "--hosts", "2", "--json")
    assert up.returncode == 0, up.stderr
    info = json.loads(up.stdout)
    assert list(info["hosts"]) == ["gm1", "gm2", "c1", "c2"]
    st = json.loads(run_lab(prefix, "status", "--json").stdout)
    assert [s["name"] for s in st] == ["cli"]
    out = run_lab(prefix, "exec", "c2", "--", "ip", "-o", "-4", "addr", "show", "dev", "veth0")
    assert out.returncode == 0 and info["hosts"]["c2"]["ipv4"] in out.stdout
    out = run_lab(prefix, "exec", "cli", "gm1", "--", "cat", "/proc/self/comm")
    assert out.stdout.strip() == "cat"
    assert run_lab(prefix, "down", "cli").returncode == 0
    assert teardown.leftovers(prefix) == {"namespaces": [], "state_dirs": [], "pids": []}


def test_killed_builder_leaves_nothing_after_down_all(prefix: str) -> None:
    before = root_names()
    env = dict(os.environ, NSLAB_PREFIX=prefix)
    # 1. `lab up` SIGKILLed while building (as soon as its first namespace exists)
    builder = subprocess.Popen([sys.executable, str(LAB), "up", "star", "--hosts", "4",
                                "--name", "crash"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not any(ns.startswith(prefix) for ns in nsutil.list_netns()):
        assert builder.poll() is None or any(
            ns.startswith(prefix) for ns in nsutil.list_netns()), "lab up ended too early"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    builder.send_signal(signal.SIGKILL)
    builder.wait()
    # 2. a process that built a lab and started peers, SIGKILLed mid-run
    script = (
        "import nslab, sys\n"
        "from nslab.peers import Ptp4l, Ptp4lConfig, Chronyd\n"
        "lab = nslab.up('star', name='peers', hosts=2)\n"
        "Ptp4l(lab['h1'], Ptp4lConfig(role='master')).start()\n"
        "Chronyd.server(lab['h2']).start().wait_ready()\n"
        "print(' '.join(str(p) for p in lab.status()['pids']), flush=True)\n"
        "sys.stdin.read()\n")
    victim = subprocess.Popen([sys.executable, "-c", script], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert victim.stdout is not None
    peer_pids = [int(p) for p in victim.stdout.readline().split()]
    # plus an unrecorded process started straight with `ip netns exec`
    stray = subprocess.Popen(["ip", "netns", "exec", f"{prefix}peers-h2", "sleep", "300"],
                             start_new_session=True)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert len(peer_pids) == 2 and all(procs.is_alive(p) for p in peer_pids)
    deadline = time.monotonic() + 10
    while stray.pid not in nsutil.pids_in(f"{prefix}peers-h2"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    left = teardown.leftovers(prefix)
    assert left["namespaces"] and set(peer_pids) <= set(left["pids"])
    # 3. one `lab down --all` removes all of it
    down = run_lab(prefix, "down", "--all", "--json")
    assert down.returncode == 0, down.stderr
    stray.wait(timeout=10)
    assert not any(procs.is_alive(p) for p in peer_pids)
    assert teardown.leftovers(prefix) == {"namespaces": [], "state_dirs": [], "pids": []}
    assert not [ns for ns in nsutil.list_netns() if ns.startswith(prefix)]
    new_links = root_names() - before
    assert not (new_links & OUR_ROOT_NAMES), new_links


def test_up_and_down_times(prefix: str) -> None:
    """Acceptance: `lab up star --hosts 4` and `lab down --all` under 5 s each
    (measured ~0.5 s here; 10x margin), CLI start-up included."""
    t0 = time.monotonic()
    up = run_lab(prefix, "up", "star", "--hosts", "4", "--name", "timing")
    t_up = time.monotonic() - t0
    assert up.returncode == 0, up.stderr
    t0 = time.monotonic()
    down = run_lab(prefix, "down", "--all")
    t_down = time.monotonic() - t0
    assert down.returncode == 0, down.stderr
    print(f"\nlab up star --hosts 4: {t_up:.2f} s; lab down --all: {t_down:.2f} s")
    assert t_up < 5 and t_down < 5
