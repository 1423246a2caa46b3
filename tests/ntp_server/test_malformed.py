# SPDX-License-Identifier: GPL-2.0-or-later
"""A burst of malformed packets over the socket: nothing crashes, every drop is counted by reason.

The same packets, in the same order, go through a fresh sans-IO core with
the same config; the running daemon's counters (summed over its workers,
read with `ptpbridge status --json`) must be exactly the core's. Then the
server still answers ntpdig, with no worker restarted.
"""

from __future__ import annotations

import random
import socket
import struct
import time
import tomllib
from pathlib import Path
from typing import Any

from nslab.peers import ntpdig
from ptpbridge.bench.ntp_lab import PtpbridgeNtp, ntp_config
from ptpbridge.config.loader import validate_config
from ptpbridge.core.ntp import NtpServerCore
from ptpbridge.daemon.ntp_settings import core_config

from ._helpers import PEERS, cli_json, poll, request

pytestmark = PEERS

T0 = 0xEA00_0000_0000_0000  # an NTP timestamp in 2024


def _ext(field_type: int, length: int, body_len: int | None = None) -> bytes:
    """An extension field header claiming `length`, with `body_len` octets actually following."""
    body = bytes(max(0, (length if body_len is None else body_len) - 4))
    return struct.pack("!HH", field_type, length) + body


def packets() -> list[bytes]:
    """Truncations, bad extension fields, every mode and version, random bytes (seeded)."""
    good = request(T0)
    out = [good[:n] for n in range(48)]
    out += [good + bytes(n) for n in (1, 2, 3, 5, 7, 13, 19, 21, 23)]
    for length, body in ((0, 0), (4, 4), (12, 12), (17, 17), (16, 16), (0xFFFC, 12), (28, 20), (32, 64)):
        out.append(good + _ext(0x0104, length, body))
    out.append(good + _ext(0x0104, 28) + _ext(0x0204, 16))
    out.append(good + _ext(0x0104, 28) + struct.pack("!I", 77) + bytes(16))  # ext + MAC, unknown key
    out.append(good + struct.pack("!I", 77) + bytes(16))  # MAC with a key we do not have
    out.append(good + struct.pack("!I", 0))  # a crypto-NAK as a request
    for version in range(8):
        for mode in range(8):
            for leap in (0, 3):
                out.append(request(T0 + 1, first=(leap << 6) | (version << 3) | mode))
    rng = random.Random(6)
    for i in range(1200):
        data = bytearray(rng.randbytes(rng.choice((rng.randrange(0, 48), rng.randrange(48, 700)))))
        if data and i % 2:
            data[0] = (rng.randrange(4) << 6) | (rng.choice((2, 3, 4)) << 3) | 3  # reach the full parser
        out.append(bytes(data))
    return out


def test_malformed_burst_is_counted_by_reason_and_the_server_keeps_answering(make_lab: Any) -> None:
    lab = make_lab("star", hosts=2)
    h1, h2 = lab["h1"], lab["h2"]
    text = ntp_config(workers=2)
    config = validate_config(tomllib.loads(text), Path("ntp.toml")).ntp
    assert config is not None
    burst = packets()
    v6 = burst[48 + 9 + 10: 48 + 9 + 10 + 128]  # the mode/version set again, over IPv6
    expected = NtpServerCore(core_config(config, 1))
    for data in burst:
        expected.handle(data, (h2.ipv4, 40000), 1_800_000_000 * 10**9)
    for data in v6:
        expected.handle(data, (h2.ipv6, 40000), 1_800_000_000 * 10**9)
    want = expected.counters.as_dict()

    ours = PtpbridgeNtp(h1, text).start()
    try:
        for family, server, batch in ((socket.AF_INET, h1.ipv4, burst), (socket.AF_INET6, h1.ipv6, v6)):
            with h2.socket(family, socket.SOCK_DGRAM) as sock:
                for i, data in enumerate(batch):
                    sock.sendto(data, (server, 123))
                    if i % 50 == 49:
                        time.sleep(0.05)  # bursts of 50: far below what the socket buffers hold
        total = len(burst) + len(v6)
        status = poll("every packet counted", lambda: s if (s := cli_json("status", ours.control)["ntp"])[
            "counters"]["received"] == total else None)
        counters = status["counters"]
        assert counters["dropped"] == want["dropped"]
        assert counters["dropped_detail"] == want["dropped_detail"]
        assert counters["replied"] == want["replied"]
        assert counters["crypto_naks"] == want["crypto_naks"]
        assert counters["received"] == counters["replied"] + sum(counters["dropped"].values())
        for reason in ("malformed", "version", "mode"):
            assert counters["dropped"][reason] > 0, reason
        assert counters["crypto_naks"] > 0  # MACs with keys we do not hold
        assert status["io"]["callback_errors"] == 0 and status["io"]["rx_errors"] == 0
        assert ntpdig(h2, h1.ipv4).stratum == 1
        assert all(w["alive"] and w["restarts"] == 0 for w in ours.ntp()["workers"])
    finally:
        ours.stop()
    assert "Traceback" not in ours.log()
