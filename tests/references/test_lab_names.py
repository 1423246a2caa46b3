# SPDX-License-Identifier: GPL-2.0-or-later
"""Host names in `[[reference]]`, resolved the way a user's would be: `server` by name and a
`pool` name standing for several addresses, each address its own source.

The lab has no DNS, so the names come from the daemon host's own hosts file:
`ip netns exec` (which starts every lab process) mounts /etc/netns/<namespace>/hosts over
/etc/hosts for that process only, so nothing outside the lab sees these names.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ptpbridge.bench.refs_lab import PtpbridgeRefs

from .lab_run import locked_sources

pytestmark = [pytest.mark.netns, pytest.mark.peers]


@contextmanager
def hosts_file(netns: str, lines: list[str]) -> Iterator[None]:
    """A hosts file seen only by processes started in ``netns``; removed afterwards."""
    parent = Path("/etc/netns")
    directory = parent / netns
    if directory.exists():
        raise RuntimeError(f"{directory} exists already; not ours to overwrite")
    made_parent = not parent.exists()
    directory.mkdir(parents=True)
    try:
        (directory / "hosts").write_text("127.0.0.1 localhost\n" + "\n".join(lines) + "\n", encoding="utf-8")
        yield
    finally:
        shutil.rmtree(directory)
        if made_parent:
            parent.rmdir()


def test_server_and_pool_by_name(make_lab: Any) -> None:
    from nslab.peers import Chronyd

    lab = make_lab("star", hosts=4)
    h1, h2, h3, h4 = lab.host_list
    config = """
[clock.sim]
time_error_ns = 500000

[[reference]]
type = "ntp"
server = "ntp1.lab.test"
iburst = true
minpoll = 0
maxpoll = 0

[[reference]]
type = "ntp"
pool = "pool.lab.test"
iburst = true
minpoll = 0
maxpoll = 0
"""
    names = [f"{h1.ipv4} ntp1.lab.test", f"{h3.ipv4} pool.lab.test", f"{h4.ipv4} pool.lab.test"]
    servers = [Chronyd.server(h, stratum=1, name=f"chronyd-{h.name}") for h in (h1, h3, h4)]
    ours = PtpbridgeRefs(h2, config, name="ours")
    with hosts_file(h2.netns, names):
        rows = locked_sources(ours, servers)
    print(rows)
    assert set(rows) == {h1.ipv4, h3.ipv4, h4.ipv4}, rows
    assert rows[h1.ipv4]["kind"] == "server"
    assert rows[h3.ipv4]["kind"] == rows[h4.ipv4]["kind"] == "pool"
    assert all(row["replies"] >= 8 for row in rows.values()), rows
    assert "*" in {row["symbol"] for row in rows.values()}
