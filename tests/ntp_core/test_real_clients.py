# SPDX-License-Identifier: GPL-2.0-or-later
"""Real clients against our core: chronyd (AES128/SHA1/MD5/SHA256 keys, xleave) and ntpdig.

In a pb-ntp- namespace, responder.py (plain sockets around NtpServerCore)
listens on 127.0.0.1-7; one chronyd (-x: never steers the clock) polls
each address with a different key or mode, ntpdig queries once with and
without keys. Then: chronyd's own view (chronyc ntpdata, measurements log)
says which sources were authenticated and interleaved, and the captured
requests go through a fresh core and through tshark.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ptpbridge.core.ntp import AccessConfig, NtpServerConfig, NtpServerCore, ReplyKind, SymmetricKey, parse_key_file
from ptpbridge.wire.ntp import decode

from ._common import STATE, T0
from ._netns import HERE, PYTHON, namespace, netns_available, spawn, stop, wait_for
from ._tshark import dissect, tshark_path

_missing = netns_available() or next(
    (f"{tool} not installed" for tool in ("chronyd", "chronyc", "ntpdig", "tshark") if shutil.which(tool) is None),
    None,
)
pytestmark = [pytest.mark.netns, pytest.mark.peers, pytest.mark.slow,
              pytest.mark.skipif(_missing is not None, reason=str(_missing))]

SERVER_KEYS = """\
1 AES128 HEX:000102030405060708090A0B0C0D0E0F
2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
3 MD5 ASCII:crocus
4 SHA256 HEX:00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF
5 AES128 HEX:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF
"""
# The client shares keys 1-4; its key 5 differs from the server's.
CLIENT_KEYS = SERVER_KEYS.replace("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "0F0E0D0C0B0A09080706050403020100")
# ntpsec's key file names AES-128 differently and takes keys without a prefix.
NTPDIG_KEYS = "1 AES-128 000102030405060708090A0B0C0D0E0F\n3 MD5 crocus\n"
NTPDIG_BAD_KEYS = "1 AES-128 0F0E0D0C0B0A09080706050403020100\n"

SOURCES = {  # address -> chronyd server options
    "127.0.0.1": "key 1",
    "127.0.0.2": "key 2",
    "127.0.0.3": "key 3",
    "127.0.0.4": "key 4",
    "127.0.0.5": "key 5",
    "127.0.0.6": "xleave",
    "127.0.0.7": "key 1 xleave",
}
_OFFSET_LINE = re.compile(r"^\S+ \S+ \(\+0000\) [+-]\d+\.\d+ \+/- \d+\.\d+ 127\.0\.0\.1 s1 ", re.M)


@dataclass
class Run:
    ntpdata: dict[str, dict[str, str]] = field(default_factory=dict)
    measurements: list[list[str]] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)  # chronyd's
    ntpdig_requests: list[dict[str, str]] = field(default_factory=list)
    ntpdig: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    status: dict[str, object] = field(default_factory=dict)


def _ntpdata(sock: Path, addr: str) -> dict[str, str]:
    out = subprocess.run(["chronyc", "-h", str(sock), "-n", "ntpdata", addr],
                         capture_output=True, text=True, timeout=10).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()) if v}


def _done(data: dict[str, dict[str, str]]) -> bool:
    try:
        return (data["127.0.0.6"]["Interleaved"] == "Yes" and data["127.0.0.7"]["Interleaved"] == "Yes"
                and all(int(data[a]["Total good RX"]) >= 3 for a in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"))
                and int(data["127.0.0.5"]["Total TX"]) >= 3)
    except (KeyError, ValueError):
        return False


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    d = tmp_path_factory.mktemp("chrony")
    d.chmod(0o700)
    sock_dir = d / "sock"
    sock_dir.mkdir(mode=0o700)
    (d / "server.keys").write_text(SERVER_KEYS)
    (d / "client.keys").write_text(CLIENT_KEYS)
    (d / "ntpdig.keys").write_text(NTPDIG_KEYS)
    (d / "ntpdig-bad.keys").write_text(NTPDIG_BAD_KEYS)
    (d / "responder.json").write_text(json.dumps({
        "keyfile": str(d / "server.keys"), "listen": list(SOURCES), "log": str(d / "requests.log"),
        "ready": str(d / "ready"), "status": str(d / "status.json"), "duration_s": 120,
    }))
    servers = "\n".join(f"server {a} iburst minpoll -6 maxpoll -6 {o}" for a, o in SOURCES.items())
    (d / "chrony.conf").write_text(
        f"{servers}\nkeyfile {d}/client.keys\nlogdir {d}\nlog measurements\npidfile {d}/chronyd.pid\n"
        f"bindcmdaddress {sock_dir}/chronyd.sock\ncmdport 0\nport 0\n"
    )
    result = Run()
    with namespace() as ns:
        responder = spawn(ns, [PYTHON, str(HERE / "responder.py"), str(d / "responder.json")], d / "responder.out")
        chronyd = None
        try:
            assert wait_for(d / "ready"), (d / "responder.out").read_text()
            chronyd = spawn(ns, ["chronyd", "-x", "-d", "-u", "root", "-f", str(d / "chrony.conf")], d / "chronyd.out")
            end = time.monotonic() + 30  # an upper bound, not a timing assertion
            while time.monotonic() < end:
                time.sleep(0.5)
                assert chronyd.poll() is None, (d / "chronyd.out").read_text()
                result.ntpdata = {a: _ntpdata(sock_dir / "chronyd.sock", a) for a in SOURCES}
                if _done(result.ntpdata):
                    break
            stop(chronyd)
            chronyd_lines = len((d / "requests.log").read_text().splitlines())
            for name, args in {"plain": [], "aes": ["-k", str(d / "ntpdig.keys"), "-a", "1"],
                               "md5": ["-k", str(d / "ntpdig.keys"), "-a", "3"],
                               "badkey": ["-k", str(d / "ntpdig-bad.keys"), "-a", "1"]}.items():
                result.ntpdig[name] = subprocess.run(
                    ["ip", "netns", "exec", ns, "ntpdig", "-t", "2", *args, "127.0.0.1"],
                    capture_output=True, text=True, timeout=30)
        finally:
            if chronyd is not None:
                stop(chronyd)
            stop(responder)
    result.status = json.loads((d / "status.json").read_text())
    lines = (d / "requests.log").read_text().splitlines()
    result.requests = [json.loads(line) for line in lines[:chronyd_lines]]
    result.ntpdig_requests = [json.loads(line) for line in lines[chronyd_lines:]]
    result.measurements = [line.split() for line in (d / "measurements.log").read_text().splitlines()
                           if line[:2] == "20"]
    yield result


def test_chronyd_authenticates_with_right_keys_only(run: Run) -> None:
    for addr in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.7"):
        assert run.ntpdata[addr]["Authenticated"] == "Yes", addr
        assert int(run.ntpdata[addr]["Total good RX"]) > 0, addr
    # The SHA256 source runs NTPv3 (MAC longer than 20 octets) and we answer in kind.
    assert run.ntpdata["127.0.0.4"]["Version"] == "3"
    assert run.ntpdata["127.0.0.1"]["Version"] == "4"
    # Wrong key: requests sent, nothing valid came back.
    assert int(run.ntpdata["127.0.0.5"]["Total TX"]) > 0
    assert run.ntpdata["127.0.0.5"]["Total valid RX"] == "0"
    assert run.ntpdata["127.0.0.6"]["Authenticated"] == "No"


def test_chronyd_gets_interleaved_samples(run: Run) -> None:
    assert run.ntpdata["127.0.0.6"]["Interleaved"] == "Yes"
    assert run.ntpdata["127.0.0.7"]["Interleaved"] == "Yes"
    modes: dict[str, set[str]] = {}
    for cols in run.measurements:
        tag = next(c for c in cols if re.fullmatch(r"[1-4][IB]", c))
        modes.setdefault(cols[2], set()).add(tag[-1])
    assert "I" in modes["127.0.0.6"] and "I" in modes["127.0.0.7"]
    for addr in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"):
        assert modes[addr] == {"B"}, addr
    counters = run.status["counters"]
    assert isinstance(counters, dict) and counters["interleaved_replies"] > 0


def test_ntpdig_accepts_replies(run: Run) -> None:
    for name in ("plain", "aes", "md5"):
        p = run.ntpdig[name]
        assert p.returncode == 0 and _OFFSET_LINE.search(p.stdout), (name, p.stdout, p.stderr)
    bad = run.ntpdig["badkey"]
    assert bad.returncode != 0 and not _OFFSET_LINE.search(bad.stdout)
    # ntpdig's four requests: unsigned, AES128 key 1, MD5 key 3, then the wrong key 1 (crypto-NAK).
    kinds = [(decode(bytes.fromhex(r["data"])).mac, r["kind"]) for r in run.ntpdig_requests]
    assert [None if m is None else m.key_id for m, _ in kinds] == [None, 1, 3, 1]
    assert [k for _, k in kinds] == ["basic", "basic", "basic", "crypto-NAK"]


def test_captured_requests_through_a_fresh_core(run: Run, tmp_path: Path) -> None:
    keys = parse_key_file(SERVER_KEYS)
    wrong = {k: SymmetricKey(v.key_id, v.key_type, bytes(b ^ 0x5A for b in v.secret)) for k, v in keys.items()}
    access = AccessConfig(allow=("127.0.0.0/8",))
    right_core = NtpServerCore(NtpServerConfig(access=access, keys=keys), STATE)
    wrong_core = NtpServerCore(NtpServerConfig(access=access, keys=wrong, bad_mac_nak=False), STATE)
    replies: list[bytes] = []
    seen_keys: set[int] = set()
    versions: set[tuple[int, int]] = set()
    assert len(run.requests) > 50
    for i, rec in enumerate(run.requests):
        data = bytes.fromhex(rec["data"])
        pkt = decode(data)
        versions.add((pkt.version, pkt.mode))
        d = right_core.handle(data, ("127.0.0.1", 1000), T0 + i)
        assert d.reply is not None
        if i % 25 == 0:
            replies.append(data)
            replies.append(d.finalize(T0 + i + 500))
        if pkt.mac is None:
            continue
        seen_keys.add(pkt.mac.key_id)
        if pkt.mac.key_id == 5:
            assert d.kind is ReplyKind.CRYPTO_NAK  # the client's key 5 is not ours
        else:
            assert d.sign_key is keys[pkt.mac.key_id]
            assert wrong_core.handle(data, ("127.0.0.1", 1000), T0 + i).reply is None
    assert versions == {(4, 3), (3, 3)}
    assert seen_keys == {1, 2, 3, 4, 5}
    for ts in dissect(replies, tmp_path):
        assert not ts.malformed and not ts.expert_errors
        assert int(ts.value("ntp.flags.mode")) in (3, 4)
