# SPDX-License-Identifier: GPL-2.0-or-later
"""Worker processes: one client address, one worker; restarts; no process outlives the daemon.

The kernel's own SO_REUSEPORT choice hashes the 4-tuple, so requests from
one address and several source ports would spread over the workers; the
address-hash program must keep each address on the worker `worker_for`
names, whatever the port.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from nslab.host import Host
from ptpbridge.bench.ntp_lab import PtpbridgeNtp, ntp_config
from ptpbridge.daemon.ntp_reuseport import worker_for

from ._helpers import PEERS, poll, request

pytestmark = PEERS

WORKERS = 3
PORTS_PER_ADDRESS = 4


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _ask(host: Host, source: str, server: str, family: int, count: int) -> int:
    """`count` requests from `source`, each from a fresh socket (a new source port); replies seen."""
    answered = 0
    for i in range(count):
        with host.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((source, 0))
            sock.settimeout(2)
            sock.sendto(request(0x1234_0000 + i), (server, 123))
            try:
                answered += len(sock.recv(128)) >= 48
            except TimeoutError:
                pass
    return answered


@pytest.fixture(scope="module")
def lab(make_module_lab: Any) -> Any:
    return make_module_lab("star", hosts=2)


@pytest.fixture
def server(lab: Any) -> Iterator[PtpbridgeNtp]:
    ours = PtpbridgeNtp(lab["h1"], ntp_config(workers=WORKERS)).start()
    try:
        yield ours
    finally:
        ours.stop()


def test_each_address_stays_on_its_worker_whatever_the_port(lab: Any, server: PtpbridgeNtp) -> None:
    h1, h2 = lab["h1"], lab["h2"]
    v4 = [f"198.18.0.{100 + i}" for i in range(12)]
    v6 = [f"fd70:6274::{100 + i:x}" for i in range(6)]
    for address in v4:
        h2.run(["ip", "addr", "add", f"{address}/32", "dev", h2.ifname], check=True)
    for address in v6:
        h2.run(["ip", "addr", "add", f"{address}/128", "dev", h2.ifname, "nodad"], check=True)
    expected = {a: worker_for(a, WORKERS) for a in v4 + v6}
    assert set(expected.values()) == set(range(WORKERS))  # every worker has clients to prove
    for address in v4:
        assert _ask(h2, address, h1.ipv4, socket.AF_INET, PORTS_PER_ADDRESS) == PORTS_PER_ADDRESS
    for address in v6:
        assert _ask(h2, address, h1.ipv6, socket.AF_INET6, PORTS_PER_ADDRESS) == PORTS_PER_ADDRESS
    clients = {c["address"]: c for c in server.clients()["clients"]}
    for address, worker in expected.items():
        assert clients[address]["worker"] == worker, address
        # All of an address's requests met one worker: that worker counted them all.
        assert clients[address]["requests"] == PORTS_PER_ADDRESS, address
    per_worker = [w["received"] for w in poll("counters", lambda: server.ntp()["workers"] if sum(
        w["received"] for w in server.ntp()["workers"]) >= len(expected) * PORTS_PER_ADDRESS else None)]
    assert per_worker == [PORTS_PER_ADDRESS * sum(1 for w in expected.values() if w == i) for i in range(WORKERS)]


def test_a_killed_worker_is_replaced_and_serves_its_clients_again(lab: Any, server: PtpbridgeNtp) -> None:
    h1, h2 = lab["h1"], lab["h2"]
    worker = worker_for(h2.ipv4, WORKERS)
    old = server.ntp()["workers"][worker]["pid"]
    os.kill(old, signal.SIGKILL)

    def replaced() -> dict[str, Any] | None:
        w = server.ntp()["workers"][worker]
        return w if w["alive"] and w["pid"] != old else None

    new = poll("replacement worker", replaced)
    assert new["restarts"] == 1
    assert _ask(h2, h2.ipv4, h1.ipv4, socket.AF_INET, 3) == 3
    assert not _alive(old)
    assert "Traceback" not in server.log()


def test_sigterm_stops_daemon_and_workers(lab: Any) -> None:
    ours = PtpbridgeNtp(lab["h1"], ntp_config(workers=WORKERS)).start()
    pids = [w["pid"] for w in ours.ntp()["workers"]]
    assert all(_alive(p) for p in pids)
    assert ours.stop() == 0  # SIGTERM first; a SIGKILL after the grace would show as -9
    poll("workers gone", lambda: True if not any(_alive(p) for p in pids) else None, 10)
    assert not ours.control.exists()
    assert "Traceback" not in ours.log()


def test_workers_die_with_a_killed_daemon(lab: Any) -> None:
    ours = PtpbridgeNtp(lab["h1"], ntp_config(workers=2)).start()
    pids = [w["pid"] for w in ours.ntp()["workers"]]
    assert ours.proc is not None
    os.kill(ours.pid, signal.SIGKILL)  # no clean-up code runs: PR_SET_PDEATHSIG must do it
    ours.proc.wait(10)
    poll("workers gone", lambda: True if not any(_alive(p) for p in pids) else None, 10)
    ours.stop()
