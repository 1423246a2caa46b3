# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared test material: keys, a synchronised state, request builders."""

from __future__ import annotations

from ptpbridge.core.ntp import (
    AccessConfig,
    NtpServerConfig,
    NtpServerCore,
    ServerTimeState,
    SymmetricKey,
    parse_key_file,
)
from ptpbridge.core.ntp.auth import compute_digest
from ptpbridge.wire.ntp import Mac, NtpPacket, encode

NS = 1_000_000_000
T0 = 1_795_000_000 * NS  # 2026-11-18, a plain UTC instant for tests

KEYS_TEXT = """\
# test keys (same ids and types as the chronyd tests use)
1 AES128 HEX:000102030405060708090A0B0C0D0E0F
2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
3 MD5 ASCII:crocus
4 SHA256 HEX:00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF
"""
KEYS: dict[int, SymmetricKey] = parse_key_file(KEYS_TEXT, "test.keys")

STATE = ServerTimeState.synchronised(
    "PHC", 1, T0 - 10 * NS, root_delay_ns=0, root_dispersion_ns=5_000, precision=-25
)


def core(**kwargs: object) -> NtpServerCore:
    """A core that allows 198.18.0.0/15 and ::/0 unless told otherwise."""
    access = kwargs.pop("access", AccessConfig(allow=("198.18.0.0/15", "127.0.0.0/8", "fd00::/8")))
    cfg = NtpServerConfig(access=access, keys=kwargs.pop("keys", KEYS), **kwargs)  # type: ignore[arg-type]
    return NtpServerCore(cfg, STATE)


def request(version: int = 4, *, xmt: int = 0x1122334455667788, org: int = 0, rec: int = 0,
            poll: int = 6, key: SymmetricKey | None = None, mode: int = 3) -> bytes:
    """A client request, signed with `key` when given."""
    head = encode(NtpPacket(version=version, mode=mode, poll=poll, origin_ts=org, receive_ts=rec, transmit_ts=xmt))
    if key is None:
        return head
    digest = compute_digest(key, head, version)
    return encode(NtpPacket(version=version, mode=mode, poll=poll, origin_ts=org, receive_ts=rec,
                            transmit_ts=xmt, mac=Mac(key.key_id, digest)))
