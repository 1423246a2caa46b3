# SPDX-License-Identifier: GPL-2.0-or-later
"""NtpServerCore: versions and modes, authentication, state on the wire, counters, workers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ptpbridge.core.ntp import (
    AccessConfig,
    DropReason,
    NtpServerConfig,
    NtpServerCore,
    ReplyKind,
    ServerTimeState,
    TransmitFill,
    worker_index,
)
from ptpbridge.core.ntp.auth import verify_digest
from ptpbridge.wire.ntp import Leap, decode, refid_for_source
from ptpbridge.wire.ntp.timestamps import ntp_short_to_ns, utc_ns_to_ntp64

from ._common import KEYS, NS, STATE, T0, core, request

CLIENT = ("198.18.0.1", 123)


@pytest.mark.parametrize("version", range(8))
@pytest.mark.parametrize("mode", range(8))
def test_every_version_and_mode(version: int, mode: int) -> None:
    c = core()
    data = request(version, mode=mode)
    d = c.handle(data, CLIENT, T0)
    if mode == 6:
        expected = DropReason.MODE6_DISABLED
    elif mode == 7:
        expected = DropReason.MODE7
    elif version not in (2, 3, 4):
        expected = DropReason.VERSION
    elif mode == 1:
        expected = DropReason.MODE_SYMMETRIC
    elif mode != 3:
        expected = DropReason.MODE_UNEXPECTED
    else:
        assert d.kind is ReplyKind.BASIC and d.transmit is TransmitFill.LATE
        r = decode(d.finalize(T0 + 1000))
        assert (r.version, r.mode) == (version, 4)
        assert c.counters.replied == 1
        return
    assert d.reply is None and d.drop_reason is expected
    assert c.counters.dropped[expected] == 1
    assert c.counters.dropped_by_category()[expected.category] == 1


def test_basic_reply_fields() -> None:
    c = core()
    d = c.handle(request(xmt=0x55, poll=-3), CLIENT, T0)
    r = decode(d.finalize(T0 + 77_000))
    assert (r.leap, r.stratum, r.poll, r.precision, r.reference_id) == (0, 1, -3, -25, b"PHC\x00")
    assert r.origin_ts == 0x55
    assert r.receive_ts == utc_ns_to_ntp64(T0) == d.reply_id
    assert r.transmit_ts == utc_ns_to_ntp64(T0 + 77_000)
    assert r.reference_ts == utc_ns_to_ntp64(T0 - 10 * NS)
    # 5 us base + 10 s at 15 ppm = 155 us, rounded up to a short-format unit.
    assert 155_000 <= ntp_short_to_ns(r.root_dispersion) < 155_000 + 15_259


def test_state_on_the_wire() -> None:
    c = core()
    c.set_state(ServerTimeState.unsynchronised())
    r = decode(c.handle(request(), CLIENT, T0).finalize(T0))
    assert (r.leap, r.stratum, r.reference_ts) == (3, 16, 0)
    c.set_state(ServerTimeState.synchronised("198.18.0.77", 2, T0, leap=Leap.INSERT, root_delay_ns=NS // 2))
    r = decode(c.handle(request(), CLIENT, T0).finalize(T0))
    assert (r.leap, r.stratum, r.reference_id, r.root_delay) == (1, 2, bytes([198, 18, 0, 77]), 0x8000)
    c.set_state(ServerTimeState(Leap.DELETE, 3, refid_for_source("fd00::1"), poll=4))
    r = decode(c.handle(request(poll=10), CLIENT, T0).finalize(T0))
    assert (r.leap, r.stratum, r.poll) == (2, 3, 4)
    assert r.reference_id == refid_for_source("fd00::1") != b"\xfd\x00\x00\x00"
    with pytest.raises(ValueError):
        ServerTimeState(Leap.NONE, 16)
    with pytest.raises(ValueError):
        ServerTimeState.synchronised("TOOLONG", 1, T0)


@pytest.mark.parametrize("key_id", [1, 2, 3, 4])
def test_signed_request_gets_reply_signed_with_its_key(key_id: int) -> None:
    key = KEYS[key_id]
    version = 3 if key_id == 4 else 4  # chronyd uses NTPv3 for MACs longer than 20 octets
    c = core()
    req = request(version, key=key)
    d = c.handle(req, CLIENT, T0)
    assert d.kind is ReplyKind.BASIC and d.sign_key is key
    out = d.finalize(T0 + 5_000)
    assert len(out) == len(req)
    r = decode(out)
    assert r.mac is not None and r.mac.key_id == key_id
    assert r.transmit_ts == utc_ns_to_ntp64(T0 + 5_000)
    assert verify_digest(key, out[: r.mac_offset], version, r.mac.digest)  # signed after the patch
    assert c.counters.authenticated_replies == 1


def test_bad_mac_nak_or_drop() -> None:
    good = request(key=KEYS[1])
    bad = bytearray(good)
    bad[60] ^= 0x80
    c = core()
    d = c.handle(bytes(bad), CLIENT, T0)
    assert d.kind is ReplyKind.CRYPTO_NAK
    nak = d.finalize(T0 + 1)
    r = decode(nak)
    assert r.mac is not None and r.mac.is_crypto_nak and len(nak) == 52
    wrong_key = request(key=KEYS[3])[:48] + (99).to_bytes(4, "big") + request(key=KEYS[3])[52:]
    assert c.handle(wrong_key, CLIENT, T0).kind is ReplyKind.CRYPTO_NAK
    assert c.counters.crypto_naks == 2 and c.counters.auth_failures == 2
    drop = core(bad_mac_nak=False)
    assert drop.handle(bytes(bad), CLIENT, T0).drop_reason is DropReason.AUTH_BAD_MAC
    assert drop.handle(wrong_key, CLIENT, T0).drop_reason is DropReason.AUTH_UNKNOWN_KEY
    strict = core(require_auth=True)
    assert strict.handle(request(), CLIENT, T0).drop_reason is DropReason.AUTH_REQUIRED
    assert strict.handle(good, CLIENT, T0).sign_key is KEYS[1]


def test_interleaved_signed_reply_is_final_and_signed() -> None:
    c = core()
    first = c.handle(request(key=KEYS[2], xmt=1), CLIENT, T0)
    rx = decode(first.finalize(T0 + 10)).receive_ts
    c.record_tx(CLIENT, first.reply_id, T0 + 9)
    d = c.handle(request(key=KEYS[2], org=rx, rec=5, xmt=2), CLIENT, T0 + NS)
    assert d.kind is ReplyKind.INTERLEAVED and d.reply is not None
    before = bytes(d.reply)
    out = d.finalize(T0 + 12345 * NS)
    assert out == before
    r = decode(out)
    assert r.mac is not None and verify_digest(KEYS[2], out[:48], 4, r.mac.digest)


def test_counters_and_client_table() -> None:
    c = NtpServerCore(NtpServerConfig(access=AccessConfig(allow=("198.18.0.0/15",)), monitor_max_clients=2), STATE)
    c.handle(request(), ("198.18.0.1", 1), T0)
    c.handle(request(), ("10.9.9.9", 1), T0 + 1)
    c.handle(b"\x23", ("198.18.0.1", 1), T0 + 2)
    c.handle(request(), ("::ffff:198.18.0.1", 1), T0 + 3)
    c.handle(request(), ("not an address", 1), T0 + 4)
    n = c.counters
    assert (n.received, n.replied, n.dropped_total) == (5, 2, 3)
    assert n.dropped_by_category() == {"access": 1, "rate": 0, "malformed": 2, "auth": 0, "version": 0, "mode": 0}
    clients = {r.address: r for r in c.clients.snapshot()}
    assert set(clients) == {"10.9.9.9", "198.18.0.1"}
    assert (clients["198.18.0.1"].requests, clients["198.18.0.1"].drops) == (3, 1)
    assert clients["198.18.0.1"].last_seen_utc_ns == T0 + 3
    c.handle(request(), ("198.18.0.2", 1), T0 + 5)  # table of 2: evicts 10.9.9.9
    assert {r.address for r in c.clients.snapshot()} == {"198.18.0.1", "198.18.0.2"}
    status = c.status()
    assert status["counters"]["received"] == 6  # type: ignore[index]
    assert status["counters"]["dropped_detail"] == {"malformed": 2, "access": 1}  # type: ignore[index]


def test_finalize_dropped_is_an_error() -> None:
    d = core().handle(b"", CLIENT, T0)
    with pytest.raises(ValueError):
        d.finalize(T0)


def test_worker_index_stable_across_processes() -> None:
    addrs = [f"198.18.{i}.{j}" for i in range(4) for j in range(64)] + ["fd00::1", "::ffff:198.18.0.1"]
    mine = [worker_index(a, 4) for a in addrs]
    code = (
        "import sys, json; from ptpbridge.core.ntp import worker_index;"
        "print(json.dumps([worker_index(a, 4) for a in json.loads(sys.argv[1])]))"
    )
    out = subprocess.run([sys.executable, "-c", code, json.dumps(addrs)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == mine
    assert mine[-1] == worker_index("198.18.0.1", 4)  # mapped and plain IPv4 are one client
    assert set(mine) == {0, 1, 2, 3}
    assert max(mine.count(w) for w in range(4)) < 2 * len(addrs) / 4
    with pytest.raises(ValueError):
        worker_index("198.18.0.1", 0)
